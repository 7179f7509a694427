package docker

import (
	"context"
	"fmt"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ManifestDescriptor asks the registry for the descriptor of the manifest
// r names with one HEAD request, without its body. The digest is the
// registry's claim (Docker-Content-Digest), not verified: enough to tell
// that an image is already mirrored (sync), not to trust content.
func (r *Reference) ManifestDescriptor(ctx context.Context, o *transport.Options) (ocispec.Descriptor, error) {
	c, release, err := r.config().client(r.named, o)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("%s: %w", reference.Familiar(r.named), err)
	}
	defer release()
	d, err := c.HeadManifest(ctx, reference.Path(r.named), tagOrDigest(r.named))
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("%s: %w", reference.Familiar(r.named), err)
	}
	return d, nil
}

var _ transport.ManifestChecker = (*Destination)(nil)

// HasManifest implements transport.ManifestChecker with one HEAD: the name
// the destination writes already holds the manifest with digest dg. A
// registry accepts a manifest only once the blobs and manifests it refers
// to are present, so the image is complete.
func (d *Destination) HasManifest(ctx context.Context, dg digest.Digest) (bool, error) {
	desc, err := d.c.HeadManifest(ctx, d.repo, tagOrDigest(d.ref.named))
	if errdefs.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s: %w", d.name, err)
	}
	return desc.Digest == dg, nil
}
