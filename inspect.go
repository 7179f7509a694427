package ferry

import (
	"context"
	"fmt"

	"github.com/ferrytool/ferry/inspect"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ImageInfo is what Inspect tells about an image: skopeo inspect's
// document (its JSON encoding is skopeo's).
type ImageInfo = inspect.Output

// Manifest is a manifest as the source stores it.
type Manifest struct {
	// Raw is the manifest's bytes, unchanged.
	Raw []byte
	// MediaType is its media type (an index's for a multi-platform image).
	MediaType string
	// Digest is its digest as a registry computes it.
	Digest digest.Digest
}

// Inspect describes the image name points to, as skopeo inspect does:
// the digest of the manifest the name points to (an index's for a
// multi-platform image), then the host's (or WithPlatform's) image's
// creation time, labels, platform, layers and environment, and the
// repository's tags (registries only; WithoutRepoTags skips them).
func (c *Client) Inspect(ctx context.Context, name string, opts ...Option) (*ImageInfo, error) {
	var out *ImageInfo
	err := c.withImage(ctx, name, opts, func(im *openImage) (err error) {
		in, err := im.instance(ctx)
		if err != nil {
			return err
		}
		return im.s.withRetry(ctx, func() (err error) {
			out, err = inspect.Describe(ctx, im.ref, in, inspect.Options{Transport: im.topts, NoTags: im.s.noTags})
			return err
		})
	})
	return out, err
}

// Inspect describes the image name points to with a client made for this
// one call; see Client.Inspect.
func Inspect(ctx context.Context, name string, opts ...Option) (*ImageInfo, error) {
	return oneShot(opts, func(c *Client) (*ImageInfo, error) { return c.Inspect(ctx, name) })
}

// Manifest returns the manifest name points to, as stored: an index for a
// multi-platform image (skopeo inspect --raw).
func (c *Client) Manifest(ctx context.Context, name string, opts ...Option) (*Manifest, error) {
	var m *Manifest
	err := c.withImage(ctx, name, opts, func(im *openImage) error {
		m = &Manifest{Raw: im.img.Raw, MediaType: im.img.MediaType, Digest: im.img.Digest}
		return nil
	})
	return m, err
}

// Config returns the configuration of the host's (or WithPlatform's)
// image, in OCI's form whatever the image's (skopeo inspect --config).
func (c *Client) Config(ctx context.Context, name string, opts ...Option) (*ocispec.Image, error) {
	var cfg *ocispec.Image
	err := c.withImage(ctx, name, opts, func(im *openImage) error {
		in, err := im.instance(ctx)
		if err != nil {
			return err
		}
		cfg, err = in.OCIConfig(ctx)
		return err
	})
	return cfg, err
}

// RawConfig returns the configuration blob of the host's (or
// WithPlatform's) image, as stored (skopeo inspect --config --raw).
func (c *Client) RawConfig(ctx context.Context, name string, opts ...Option) ([]byte, error) {
	var b []byte
	err := c.withImage(ctx, name, opts, func(im *openImage) error {
		in, err := im.instance(ctx)
		if err != nil {
			return err
		}
		return im.s.withRetry(ctx, func() (err error) {
			b, err = in.ConfigBlob(ctx)
			return err
		})
	})
	return b, err
}

// openImage is an image opened for reading, its top manifest read.
type openImage struct {
	name  string
	s     *settings
	ref   transport.Reference
	topts transport.Options
	img   *inspect.Image
}

// withImage opens name as a source and reads its top manifest (each
// retried as WithRetry says), runs f, and closes the source.
func (c *Client) withImage(ctx context.Context, name string, opts []Option, f func(*openImage) error) (err error) {
	s, ref, err := c.parseOne(name, opts)
	if err != nil {
		return err
	}
	im := &openImage{name: name, s: s, ref: ref, topts: s.transportOptions()}
	var src transport.Source
	if err := s.withRetry(ctx, func() (err error) {
		src, err = ref.NewSource(ctx, &im.topts)
		return err
	}); err != nil {
		return err
	}
	defer func() {
		if cerr := src.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	if err := s.withRetry(ctx, func() (err error) {
		im.img, err = inspect.Fetch(ctx, src)
		return err
	}); err != nil {
		return err
	}
	return f(im)
}

// instance is the image of the opened one for the chosen platform.
func (im *openImage) instance(ctx context.Context) (*inspect.Instance, error) {
	var in *inspect.Instance
	if err := im.s.withRetry(ctx, func() (err error) {
		in, err = im.img.Instance(ctx, im.topts.Platform)
		return err
	}); err != nil {
		return nil, fmt.Errorf("%s: %w", im.name, err)
	}
	return in, nil
}
