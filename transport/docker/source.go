package docker

import (
	"context"
	"fmt"
	"io"

	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/registry"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Source reads an image from a registry. It implements transport.Source;
// BlobRange serves byte ranges for downloads split across connections.
type Source struct {
	ref  *Reference
	name string // familiar name, for errors
	repo string
	c    *registry.Client
}

var _ transport.Source = (*Source)(nil)

func newSource(ctx context.Context, r *Reference, o *transport.Options) (transport.Source, error) {
	c, err := registry.New(ctx, r.named, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", reference.Familiar(r.named), err)
	}
	return &Source{ref: r, name: reference.Familiar(r.named), repo: reference.Path(r.named), c: c}, nil
}

// tagOrDigest is the manifest reference the name carries.
func tagOrDigest(n reference.Named) string {
	if d := reference.Digest(n); d != "" {
		return d.String()
	}
	return reference.Tag(n)
}

// Manifest implements transport.Source: the manifest the reference names
// (by tag or digest) or an instance of it by digest, verified when fetched
// by digest.
func (s *Source) Manifest(ctx context.Context, instance *digest.Digest) ([]byte, string, error) {
	ref, name := tagOrDigest(s.ref.named), s.name
	if instance != nil {
		ref = instance.String()
		name = reference.Familiar(reference.TrimNamed(s.ref.named)) + "@" + ref
	}
	b, mt, _, err := s.c.GetManifest(ctx, s.repo, ref)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	return b, mt, nil
}

// Blob implements transport.Source.
func (s *Source) Blob(ctx context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
	rc, err := s.c.GetBlob(ctx, s.repo, d)
	if err != nil {
		return nil, fmt.Errorf("%s: blob %s: %w", s.name, d.Digest, err)
	}
	return rc, nil
}

// BlobRange streams bytes start..end (inclusive; end < 0: to the end) of
// the blob d. See registry.Client.GetBlobRange.
func (s *Source) BlobRange(ctx context.Context, d ocispec.Descriptor, start, end int64) (io.ReadCloser, error) {
	rc, err := s.c.GetBlobRange(ctx, s.repo, d, start, end)
	if err != nil {
		return nil, fmt.Errorf("%s: blob %s: %w", s.name, d.Digest, err)
	}
	return rc, nil
}

// Close implements transport.Source.
func (s *Source) Close() error { return s.c.Close() }
