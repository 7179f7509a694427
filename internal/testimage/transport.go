package testimage

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Source serves an image or index from memory. It implements
// transport.Source; Corrupt, when set, flips a byte of the named blob as it
// is served (a fault a real server cannot be made to produce).
type Source struct {
	Top       []byte
	TopType   string
	Manifests map[digest.Digest][]byte
	Types     map[digest.Digest]string
	Blobs     map[digest.Digest][]byte
	Corrupt   digest.Digest
}

// Source serves img.
func (img *Image) Source() *Source {
	s := &Source{Top: img.Manifest, TopType: img.MediaType, Manifests: map[digest.Digest][]byte{}, Types: map[digest.Digest]string{}, Blobs: map[digest.Digest][]byte{}}
	s.add(img)
	return s
}

// Source serves ix and its instances.
func (ix *Index) Source() *Source {
	s := &Source{Top: ix.Manifest, TopType: ix.MediaType, Manifests: map[digest.Digest][]byte{ix.Digest: ix.Manifest}, Types: map[digest.Digest]string{ix.Digest: ix.MediaType}, Blobs: map[digest.Digest][]byte{}}
	for _, img := range ix.Images {
		s.add(img)
	}
	return s
}

func (s *Source) add(img *Image) {
	s.Manifests[img.Digest] = img.Manifest
	s.Types[img.Digest] = img.MediaType
	for d, b := range img.Blobs {
		s.Blobs[d] = b
	}
}

// Manifest implements transport.Source.
func (s *Source) Manifest(ctx context.Context, instance *digest.Digest) ([]byte, string, error) {
	if instance == nil {
		return s.Top, s.TopType, nil
	}
	b, ok := s.Manifests[*instance]
	if !ok {
		return nil, "", fmt.Errorf("manifest %s: %w", *instance, errdefs.ErrNotFound)
	}
	return b, s.Types[*instance], nil
}

// Blob implements transport.Source.
func (s *Source) Blob(ctx context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
	b, ok := s.Blobs[d.Digest]
	if !ok {
		return nil, fmt.Errorf("blob %s: %w", d.Digest, errdefs.ErrNotFound)
	}
	if d.Digest == s.Corrupt {
		b = append([]byte(nil), b...)
		b[len(b)/2] ^= 0xff
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// Close implements transport.Source.
func (s *Source) Close() error { return nil }

var _ transport.Source = (*Source)(nil)

// Write stores img in dst and commits, as a copy would: blobs, then the
// manifest (as an instance when instance is set), then Commit.
func (img *Image) Write(ctx context.Context, dst transport.Destination) error {
	if err := img.putBlobs(ctx, dst); err != nil {
		return err
	}
	if err := dst.PutManifest(ctx, img.Manifest, img.MediaType, nil); err != nil {
		return err
	}
	return dst.Commit(ctx)
}

// Write stores ix and every instance in dst and commits.
func (ix *Index) Write(ctx context.Context, dst transport.Destination) error {
	for _, img := range ix.Images {
		if err := img.putBlobs(ctx, dst); err != nil {
			return err
		}
		d := img.Digest
		if err := dst.PutManifest(ctx, img.Manifest, img.MediaType, &d); err != nil {
			return err
		}
	}
	if err := dst.PutManifest(ctx, ix.Manifest, ix.MediaType, nil); err != nil {
		return err
	}
	return dst.Commit(ctx)
}

func (img *Image) putBlobs(ctx context.Context, dst transport.Destination) error {
	for _, d := range append([]ocispec.Descriptor{img.Config}, img.Layers...) {
		if err := dst.PutBlob(ctx, d, bytes.NewReader(img.Blobs[d.Digest])); err != nil {
			return fmt.Errorf("put blob %s: %w", d.Digest, err)
		}
	}
	return nil
}
