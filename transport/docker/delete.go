package docker

import (
	"context"
	"errors"
	"fmt"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/registry"
	"github.com/ferrytool/ferry/transport"
)

var _ transport.Deleter = (*Reference)(nil)

// DeleteImage deletes the image the reference names, as skopeo delete
// does: a tag is resolved to the digest of its manifest (computed from
// the bytes, not taken from a header), and the manifest is deleted by
// digest, which removes every tag pointing at it. Its signatures in a
// file:// lookaside go with it, as containers/image removes them.
func (r *Reference) DeleteImage(ctx context.Context, o *transport.Options) error {
	name := reference.Familiar(r.named)
	c, release, err := r.config().client(r.named, o, registry.ForPush())
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer release()
	sigs, err := r.config().RegistriesD.Lookaside(r.named, true)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	repo := reference.Path(r.named)
	d := reference.Digest(r.named)
	if d == "" {
		_, _, got, err := c.GetManifest(ctx, repo, reference.Tag(r.named))
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		d = got
	}
	if err := c.DeleteManifest(ctx, repo, d.String()); err != nil {
		return fmt.Errorf("%s: deleting manifest %s: %w", name, d, err)
	}
	return deleteLookasideSignatures(ctx, sigs, d, o.Log())
}

// UntagImage removes only the tag the reference names, leaving the
// manifest and its other tags (DELETE /v2/NAME/manifests/TAG, OCI
// distribution spec 1.1 "Deleting tags"). Registries that do not
// implement it answer with an error wrapping errdefs.ErrNotSupported.
func UntagImage(ctx context.Context, r *Reference, o *transport.Options) error {
	return r.UntagImage(ctx, o)
}

// UntagImage is the function UntagImage, as a method.
func (r *Reference) UntagImage(ctx context.Context, o *transport.Options) error {
	name := reference.Familiar(r.named)
	tag := reference.Tag(r.named)
	if tag == "" {
		return fmt.Errorf("%w: %s: untagging needs a tag, not a digest", errdefs.ErrInvalidArgument, name)
	}
	c, release, err := r.config().client(r.named, o, registry.ForPush())
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer release()
	if err := c.DeleteManifest(ctx, reference.Path(r.named), tag); err != nil {
		if errors.Is(err, errdefs.ErrNotSupported) {
			return fmt.Errorf("%s: the registry cannot delete a tag on its own (%w); delete the image by digest instead", name, err)
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
