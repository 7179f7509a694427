package ferry

import (
	"context"
	"fmt"

	"github.com/ferrytool/ferry/transport"
)

// Delete deletes the image name points to. In a registry that deletes the
// manifest, and with it every tag of the repository that points to it
// (distribution spec, "Deleting Manifests"); many registries refuse
// deletion, or allow it only when configured to. A transport that cannot
// delete is an error matching ErrUnsupported.
func (c *Client) Delete(ctx context.Context, name string, opts ...Option) error {
	s, ref, err := c.parseOne(name, opts)
	if err != nil {
		return err
	}
	d, ok := ref.(transport.Deleter)
	if !ok {
		return fmt.Errorf("%w: %s: the %s transport cannot delete images", ErrUnsupported, transport.FullName(ref), ref.Transport().Name())
	}
	topts := s.transportOptions()
	return s.withRetry(ctx, func() error { return d.DeleteImage(ctx, &topts) })
}

// Delete deletes an image with a client made for this one call; see
// Client.Delete.
func Delete(ctx context.Context, name string, opts ...Option) error {
	_, err := oneShot(opts, func(c *Client) (struct{}, error) { return struct{}{}, c.Delete(ctx, name) })
	return err
}

// Untag removes the tag name carries, leaving the manifest it points to
// and the manifest's other tags, on registries that support deleting a tag
// (OCI distribution spec 1.1); others refuse it. A transport that cannot
// remove a tag on its own is an error matching ErrInvalidArgument.
func (c *Client) Untag(ctx context.Context, name string, opts ...Option) error {
	s, ref, err := c.parseOne(name, opts)
	if err != nil {
		return err
	}
	u, ok := ref.(transport.Untagger)
	if !ok {
		return fmt.Errorf("%w: %s: the %s transport cannot remove a tag on its own", ErrInvalidArgument, transport.FullName(ref), ref.Transport().Name())
	}
	topts := s.transportOptions()
	return s.withRetry(ctx, func() error { return u.Untag(ctx, &topts) })
}

// parseOne applies a call's options and parses the one image it is about.
func (c *Client) parseOne(name string, opts []Option) (*settings, transport.Reference, error) {
	s, err := c.settings(opts)
	if err != nil {
		return nil, nil, err
	}
	ref, err := c.parse(s, &s.src, name)
	return s, ref, err
}
