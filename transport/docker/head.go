package docker

import (
	"context"
	"fmt"

	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
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
