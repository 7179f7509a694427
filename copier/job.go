package copier

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/progress"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
)

// job is one copy attempt. The destination is opened (open) only after
// the source has been resolved and checked, except for a streamed source.
type job struct {
	o              *Options
	src            transport.Source
	dst            transport.Destination
	srcRef, dstRef transport.Reference
	caps           transport.Capabilities
	blobs          *blobPool
	label          string
	// frozen: signatures are kept, so no manifest may change, not even
	// to the other format when the destination refuses one.
	frozen bool
}

// open opens the destination.
func (c *job) open(ctx context.Context) error {
	dst, err := c.dstRef.NewDestination(ctx, &c.o.Destination)
	if err != nil {
		return err
	}
	c.dst, c.caps = dst, dst.Capabilities()
	c.blobs = newBlobPool(c)
	return nil
}

// report sends e, labelled with the copy's image, to the progress reporter.
func (c *job) report(e progress.Event) {
	e.Image = c.label
	c.o.Progress.Report(e)
}

// transfer moves the blobs and writes manifests and signatures as planned;
// the caller commits.
func (c *job) transfer(ctx context.Context, p *copyPlan) (*Result, error) {
	c.queue(p)
	if p.r.index == nil {
		out, mt, err := c.copyImage(ctx, p.images[0], 0, 0)
		if err != nil {
			return nil, err
		}
		return result(out, mt)
	}
	written := make([]ocispec.Descriptor, len(p.images))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, min(4, c.blobs.lim.Size())))
	for i, ip := range p.images {
		g.Go(func() error {
			out, outMT, err := c.copyImage(gctx, ip, i, len(p.images))
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
	for i, d := range p.r.entries {
		if written[i].Digest != d.Digest {
			rewritten[d.Digest.String()] = written[i]
		}
	}
	ix := p.r.index
	if p.filtered {
		sub := *ix
		sub.Manifests = p.r.entries
		ix = &sub
	}
	out, outMT, err := c.convertIndex(ix, p.r.top.Manifest, p.r.top.MediaType, rewritten, p.filtered)
	if err != nil {
		return nil, err
	}
	c.step(progress.StepManifest, true)
	if err := c.dst.PutManifest(ctx, out, outMT, nil); err != nil {
		return nil, err
	}
	c.step(progress.StepStoreSignatures, true)
	if err := c.putSignatures(ctx, p.indexSigs, out, nil); err != nil {
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

// copyImage copies one image's blobs and writes its manifest, converted as
// planned, then its signatures. It is image i of n in an index (n 0 for a
// single image), for progress.
func (c *job) copyImage(ctx context.Context, ip *imagePlan, i, n int) ([]byte, string, error) {
	c.startInstance(ip, i, n)
	written, err := c.blobs.copyAll(ctx, ip.jobs)
	if err != nil {
		return nil, "", err
	}
	out, outMT := ip.img.Manifest, ip.img.MediaType
	c.step(progress.StepManifest, false)
	if !ip.schema1 {
		m := ip.m
		if ip.recompress || ip.convertConfig {
			nm := *m
			nm.Config, nm.Layers = written[0], written[1:]
			m = &nm
		}
		if ip.target != outMT || ip.recompress {
			if out, err = manifest.ConvertImage(m, ip.target); err != nil {
				return nil, "", err
			}
			outMT = ip.target
		}
		if out, outMT, err = c.putImageManifest(ctx, m, out, outMT, ip.asInstance); err != nil {
			return nil, "", err
		}
	} else if err := c.putManifest(ctx, out, outMT, ip.asInstance); err != nil {
		return nil, "", err
	}
	var inst *digest.Digest
	if ip.asInstance {
		d := digest.FromBytes(out)
		inst = &d
	}
	c.step(progress.StepStoreSignatures, false)
	if err := c.putSignatures(ctx, ip.sigs, out, inst); err != nil {
		return nil, "", err
	}
	return out, outMT, nil
}

// putSignatures writes the signatures of a manifest already written (man,
// as written): those copied from the source and, for the top-level
// manifest (instance nil), those the Signers make.
func (c *job) putSignatures(ctx context.Context, sigs [][]byte, man []byte, instance *digest.Digest) error {
	if instance == nil && len(c.o.Signers) > 0 {
		made, err := c.sign(ctx, man)
		if err != nil {
			return err
		}
		sigs = append(append([][]byte(nil), sigs...), made...)
	}
	if len(sigs) == 0 {
		return nil
	}
	sd, ok := c.dst.(transport.SignatureDestination)
	if !ok || !c.caps.Signatures {
		return &SignaturesUnsupportedError{Destination: transport.FullName(c.dstRef)}
	}
	if err := sd.PutSignatures(ctx, sigs, instance); err != nil {
		return fmt.Errorf("writing signatures: %w", err)
	}
	return nil
}

// putImageManifest writes an image manifest; when the destination refuses
// its media type (a registry without OCI support) and the copy may change
// digests, it writes the other format instead.
func (c *job) putImageManifest(ctx context.Context, m *manifest.Image, out []byte, mt string, asInstance bool) ([]byte, string, error) {
	err := c.putManifest(ctx, out, mt, asInstance)
	var refused *transport.ManifestTypeError
	if err == nil || !errors.As(err, &refused) || c.o.Format != "" || c.o.PreserveDigests || c.frozen || dstDigest(c.dstRef, c.caps) != "" {
		return out, mt, err
	}
	other := manifest.MediaTypeDockerManifest
	if mt == other {
		other = manifest.MediaTypeOCIManifest
	}
	if other == manifest.MediaTypeOCIManifest && m.MediaType == manifest.MediaTypeDockerManifest {
		cfg, cerr := c.blobs.copy(ctx, blobJob{d: m.Config, toOCIConfig: true})
		if cerr != nil {
			return nil, "", fmt.Errorf("%w (and converting the config for %s failed: %v)", err, other, cerr)
		}
		nm := *m
		nm.Config = cfg
		m = &nm
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
		return nil, "", &ModifyError{Change: "rewriting the index", Reason: PreserveDigests}
	}
	out, err := manifest.ConvertIndex(ix, target, rewritten)
	if err != nil {
		return nil, "", err
	}
	return out, target, nil
}
