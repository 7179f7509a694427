package copier

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/verify"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
)

// job is one copy attempt between an open source and destination.
type job struct {
	o              *Options
	src            transport.Source
	dst            transport.Destination
	srcRef, dstRef transport.Reference
	caps           transport.Capabilities
	blobs          *blobPool
}

// run copies what the source's top manifest names and writes the
// manifests; the caller commits.
func (c *job) run(ctx context.Context) (*Result, error) {
	top, mt, err := c.src.Manifest(ctx, nil)
	if err != nil {
		return nil, err
	}
	mt = mediaTypeOf(top, mt)
	if manifest.IsIndex(mt) {
		return c.copyIndex(ctx, top, mt)
	}
	out, outMT, err := c.copyInstance(ctx, top, mt, false)
	if err != nil {
		return nil, err
	}
	return result(out, outMT)
}

func result(b []byte, mt string) (*Result, error) {
	d, err := manifest.Digest(b)
	if err != nil {
		return nil, err
	}
	return &Result{Manifest: b, MediaType: mt, Digest: d}, nil
}

func mediaTypeOf(b []byte, mt string) string {
	mt = manifest.Normalize(mt)
	if !manifest.IsManifest(mt) {
		if d := manifest.Detect(b); d != "" {
			return d
		}
	}
	return mt
}

// copyIndex handles a source whose top manifest is an index, per MultiArch.
func (c *job) copyIndex(ctx context.Context, raw []byte, mt string) (*Result, error) {
	ix, err := manifest.ParseIndex(raw)
	if err != nil {
		return nil, err
	}
	switch c.o.MultiArch {
	case System:
		d, err := manifest.ChooseInstance(ix, manifest.HostPlatform(c.o.Platform))
		if err != nil {
			return nil, err
		}
		b, imt, err := c.instanceManifest(ctx, d)
		if err != nil {
			return nil, err
		}
		if manifest.IsIndex(imt) {
			return nil, fmt.Errorf("%w: nested index %s", errdefs.ErrNotSupported, d.Digest)
		}
		out, outMT, err := c.copyInstance(ctx, b, imt, false)
		if err != nil {
			return nil, err
		}
		return result(out, outMT)
	case IndexOnly:
		if c.caps.NoIndex {
			return nil, c.noIndexError()
		}
		out, outMT, err := c.convertIndex(ix, raw, mt, nil, false)
		if err != nil {
			return nil, err
		}
		if err := c.dst.PutManifest(ctx, out, outMT, nil); err != nil {
			return nil, err
		}
		return result(out, outMT)
	}
	if c.caps.NoIndex {
		return nil, c.noIndexError()
	}
	keep, err := c.selectInstances(ix)
	if err != nil {
		return nil, err
	}
	written := make([]ocispec.Descriptor, len(keep))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, min(4, c.o.Concurrency)))
	for i, d := range keep {
		g.Go(func() error {
			b, imt, err := c.instanceManifest(gctx, d)
			if err != nil {
				return err
			}
			if manifest.IsIndex(imt) {
				return fmt.Errorf("%w: nested index %s", errdefs.ErrNotSupported, d.Digest)
			}
			out, outMT, err := c.copyInstance(gctx, b, imt, true)
			if err != nil {
				return err
			}
			written[i] = ocispec.Descriptor{MediaType: outMT, Digest: digest.FromBytes(out), Size: int64(len(out))}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	rewritten := map[string]ocispec.Descriptor{}
	for i, d := range keep {
		if written[i].Digest != d.Digest {
			rewritten[d.Digest.String()] = written[i]
		}
	}
	filtered := len(keep) != len(ix.Manifests)
	if filtered {
		sub := *ix
		sub.Manifests = keep
		ix = &sub
	}
	out, outMT, err := c.convertIndex(ix, raw, mt, rewritten, filtered)
	if err != nil {
		return nil, err
	}
	if err := c.dst.PutManifest(ctx, out, outMT, nil); err != nil {
		return nil, err
	}
	return result(out, outMT)
}

func (c *job) noIndexError() error {
	return fmt.Errorf("%w: %s holds a single image, not a multi-platform index: copy one platform (without --all)",
		errdefs.ErrNotSupported, c.dstRef.Transport().Name())
}

// selectInstances lists the index entries MultiArch asks for.
func (c *job) selectInstances(ix *manifest.Index) ([]ocispec.Descriptor, error) {
	if c.o.MultiArch == All {
		return ix.Manifests, nil
	}
	var keep []ocispec.Descriptor
	for _, p := range c.o.Platforms {
		d, err := manifest.ChooseInstance(ix, p)
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(keep, func(k ocispec.Descriptor) bool { return k.Digest == d.Digest }) {
			keep = append(keep, d)
		}
	}
	if len(keep) == 0 {
		return nil, fmt.Errorf("%w: no platforms given", errdefs.ErrInvalidArgument)
	}
	return keep, nil
}

// instanceManifest fetches an index entry's manifest and verifies it
// against the entry.
func (c *job) instanceManifest(ctx context.Context, d ocispec.Descriptor) ([]byte, string, error) {
	dg := d.Digest
	b, mt, err := c.src.Manifest(ctx, &dg)
	if err != nil {
		return nil, "", err
	}
	if err := verify.Bytes(b, d.Digest, d.Size); err != nil {
		return nil, "", fmt.Errorf("manifest %s: %w", d.Digest, err)
	}
	if mt == "" {
		mt = d.MediaType
	}
	return b, mediaTypeOf(b, mt), nil
}

// copyInstance copies one image's blobs and writes its manifest, converted
// where the options or the destination require. asInstance writes it as an
// instance of an index (by digest) rather than as the named image.
func (c *job) copyInstance(ctx context.Context, raw []byte, mt string, asInstance bool) ([]byte, string, error) {
	if manifest.IsSchema1(mt) {
		return c.copySchema1(ctx, raw, mt, asInstance)
	}
	if !manifest.IsImage(mt) {
		return nil, "", fmt.Errorf("%w: manifest media type %q", errdefs.ErrNotSupported, mt)
	}
	m, err := manifest.ParseImage(raw)
	if err != nil {
		return nil, "", err
	}
	target, err := c.targetType(mt, manifest.MediaTypeOCIManifest, manifest.MediaTypeDockerManifest)
	if err != nil {
		return nil, "", err
	}
	jobs := []blobJob{{d: m.Config}}
	recompress := false
	for _, l := range m.Layers {
		comp := c.wantedCompression(l.MediaType)
		recompress = recompress || comp != ""
		jobs = append(jobs, blobJob{d: l, comp: comp, manifestType: target})
	}
	if recompress && c.o.PreserveDigests {
		return nil, "", fmt.Errorf("%w: recompressing layers changes the digests that --preserve-digests keeps", errdefs.ErrInvalidArgument)
	}
	written, err := c.blobs.copyAll(ctx, jobs)
	if err != nil {
		return nil, "", err
	}
	out, outMT := raw, mt
	if recompress {
		nm := *m
		nm.Layers = written[1:]
		m = &nm
	}
	if target != mt || recompress {
		if out, err = manifest.ConvertImage(m, target); err != nil {
			return nil, "", err
		}
		outMT = target
	}
	return c.putImageManifest(ctx, m, out, outMT, asInstance)
}

// putImageManifest writes an image manifest; when the destination refuses
// its media type (a registry without OCI support) and the copy may change
// digests, it writes the other format instead.
func (c *job) putImageManifest(ctx context.Context, m *manifest.Image, out []byte, mt string, asInstance bool) ([]byte, string, error) {
	err := c.putManifest(ctx, out, mt, asInstance)
	var refused *transport.ManifestTypeError
	if err == nil || !errors.As(err, &refused) || c.o.Format != "" || c.o.PreserveDigests || dstDigest(c.dstRef) != "" {
		return out, mt, err
	}
	other := manifest.MediaTypeDockerManifest
	if mt == other {
		other = manifest.MediaTypeOCIManifest
	}
	conv, cerr := manifest.ConvertImage(m, other)
	if cerr != nil {
		return nil, "", fmt.Errorf("%w (and converting to %s failed: %v)", err, other, cerr)
	}
	c.o.Destination.Log().Info("destination refused the manifest type, writing the other format", "refused", mt, "writing", other)
	if err := c.putManifest(ctx, conv, other, asInstance); err != nil {
		return nil, "", err
	}
	return conv, other, nil
}

func (c *job) putManifest(ctx context.Context, b []byte, mt string, asInstance bool) error {
	if !asInstance {
		return c.dst.PutManifest(ctx, b, mt, nil)
	}
	d := digest.FromBytes(b)
	return c.dst.PutManifest(ctx, b, mt, &d)
}

// copySchema1 copies a legacy schema-1 image as is; it cannot be converted.
func (c *job) copySchema1(ctx context.Context, raw []byte, mt string, asInstance bool) ([]byte, string, error) {
	if c.o.Format != "" {
		return nil, "", fmt.Errorf("%w: converting a schema-1 manifest", errdefs.ErrNotSupported)
	}
	if len(c.caps.ManifestTypes) > 0 && !slices.Contains(c.caps.ManifestTypes, mt) {
		return nil, "", fmt.Errorf("%w: %s cannot store a Docker schema-1 image", errdefs.ErrNotSupported, c.dstRef.Transport().Name())
	}
	m, err := manifest.ParseSchema1(raw)
	if err != nil {
		return nil, "", err
	}
	var jobs []blobJob
	for _, l := range m.FSLayers {
		jobs = append(jobs, blobJob{d: ocispec.Descriptor{MediaType: manifest.MediaTypeDockerLayer, Digest: l.BlobSum, Size: -1}})
	}
	if _, err := c.blobs.copyAll(ctx, jobs); err != nil {
		return nil, "", err
	}
	if err := c.putManifest(ctx, raw, mt, asInstance); err != nil {
		return nil, "", err
	}
	return raw, mt, nil
}

// targetType picks the manifest media type to write: the --format one,
// else the source's if the destination takes it, else the other format.
func (c *job) targetType(mt, oci, docker string) (string, error) {
	want := mt
	switch c.o.Format {
	case "oci":
		want = oci
	case "v2s2":
		want = docker
	}
	if accepts := c.caps.ManifestTypes; len(accepts) > 0 && !slices.Contains(accepts, want) {
		other := oci
		if want == oci {
			other = docker
		}
		if c.o.Format != "" || !slices.Contains(accepts, other) {
			return "", fmt.Errorf("%w: %s does not accept %s manifests", errdefs.ErrNotSupported, c.dstRef.Transport().Name(), want)
		}
		want = other
	}
	if want != mt && c.o.PreserveDigests {
		return "", fmt.Errorf("%w: %s needs %s, which changes the digest that --preserve-digests keeps",
			errdefs.ErrInvalidArgument, c.dstRef.Transport().Name(), want)
	}
	return want, nil
}

// convertIndex returns the index to write: the source bytes when nothing
// changed, else a rewritten index.
func (c *job) convertIndex(ix *manifest.Index, raw []byte, mt string, rewritten map[string]ocispec.Descriptor, filtered bool) ([]byte, string, error) {
	target, err := c.targetType(mt, manifest.MediaTypeOCIIndex, manifest.MediaTypeDockerList)
	if err != nil {
		return nil, "", err
	}
	if target == mt && len(rewritten) == 0 && !filtered {
		return raw, mt, nil
	}
	if c.o.PreserveDigests {
		return nil, "", fmt.Errorf("%w: the copy rewrites the index, which --preserve-digests forbids", errdefs.ErrInvalidArgument)
	}
	out, err := manifest.ConvertIndex(ix, target, rewritten)
	if err != nil {
		return nil, "", err
	}
	return out, target, nil
}
