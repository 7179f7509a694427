package copier

import (
	"context"
	"fmt"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/verify"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
)

// resolved is what the resolve phase read from the source: everything the
// policy and the plan need, and no blob.
type resolved struct {
	// top is the source's top manifest, with its signatures.
	top Instance
	// index is top parsed, when the copy writes an index (All, Platforms,
	// IndexOnly); nil when it writes a single image.
	index *manifest.Index
	// images are the image manifests the copy writes, with their
	// signatures; entries are their index entries when index is set.
	images  []Instance
	entries []ocispec.Descriptor
}

// resolve reads the top manifest, the instances MultiArch chooses and
// their signatures.
func (c *job) resolve(ctx context.Context) (*resolved, error) {
	raw, mt, err := c.src.Manifest(ctx, nil)
	if err != nil {
		return nil, err
	}
	mt = mediaTypeOf(raw, mt)
	dg, err := manifest.Digest(raw)
	if err != nil {
		return nil, err
	}
	r := &resolved{top: Instance{Digest: dg, MediaType: mt, Manifest: raw}}
	if !manifest.IsIndex(mt) {
		if r.top.Signatures, err = c.signatures(ctx, nil); err != nil {
			return nil, err
		}
		r.images = []Instance{r.top}
		return r, nil
	}
	ix, err := manifest.ParseIndex(raw)
	if err != nil {
		return nil, err
	}
	var keep []ocispec.Descriptor
	switch c.o.MultiArch {
	case System:
		d, err := manifest.ChooseInstance(ix, manifest.HostPlatform(c.o.Platform))
		if err != nil {
			return nil, err
		}
		img, err := c.resolveInstance(ctx, d)
		if err != nil {
			return nil, err
		}
		r.images = []Instance{img}
		return r, nil
	case IndexOnly:
	default:
		if keep, err = c.selectInstances(ix); err != nil {
			return nil, err
		}
	}
	r.index = ix
	if r.top.Signatures, err = c.signatures(ctx, nil); err != nil {
		return nil, err
	}
	r.entries = keep
	r.images = make([]Instance, len(keep))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for i, d := range keep {
		g.Go(func() (err error) {
			r.images[i], err = c.resolveInstance(gctx, d)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return r, nil
}

// resolveInstance reads an index entry's manifest, verified against the
// entry, and its signatures.
func (c *job) resolveInstance(ctx context.Context, d ocispec.Descriptor) (Instance, error) {
	dg := d.Digest
	b, mt, err := c.src.Manifest(ctx, &dg)
	if err != nil {
		return Instance{}, err
	}
	if err := verify.Bytes(b, d.Digest, d.Size); err != nil {
		return Instance{}, fmt.Errorf("manifest %s: %w", d.Digest, err)
	}
	if mt == "" {
		mt = d.MediaType
	}
	mt = mediaTypeOf(b, mt)
	if manifest.IsIndex(mt) {
		return Instance{}, fmt.Errorf("%w: nested index %s", errdefs.ErrNotSupported, d.Digest)
	}
	sigs, err := c.signatures(ctx, &dg)
	if err != nil {
		return Instance{}, err
	}
	return Instance{Digest: d.Digest, MediaType: mt, Manifest: b, Signatures: sigs}, nil
}

// signatures lists the source's signatures of a manifest when someone
// needs them: the policy, or a copy that keeps them.
func (c *job) signatures(ctx context.Context, instance *digest.Digest) ([][]byte, error) {
	ss, ok := c.src.(transport.SignatureSource)
	if !ok || (c.o.Policy == nil && c.o.RemoveSignatures) {
		return nil, nil
	}
	sigs, err := ss.Signatures(ctx, instance)
	if err != nil {
		return nil, fmt.Errorf("reading signatures: %w", err)
	}
	return sigs, nil
}
