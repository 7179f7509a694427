package layout

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/archive"
	"github.com/ferrytool/ferry/internal/blobstore"
	"github.com/ferrytool/ferry/internal/ocilayout"
	"github.com/ferrytool/ferry/internal/verify"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Source reads one image (or index) of an OCI layout.
type Source struct {
	lay  *ocilayout.Layout
	name string // "oci:PATH[:REF]", for messages
	desc ocispec.Descriptor
	log  *slog.Logger
}

var _ transport.Source = (*Source)(nil)

func newSource(ctx context.Context, r *Reference, o *transport.Options) (transport.Source, error) {
	s, err := OpenSource(ctx, r, o)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// OpenSource opens the image r names for reading; r.NewSource does the same
// behind the transport.Source interface.
func OpenSource(ctx context.Context, r *Reference, o *transport.Options) (*Source, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	name := transport.FullName(r)
	if err := blobstore.CheckDir(r.Path); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	lay := r.layout(r.Path)
	if _, err := lay.CheckLayoutFile(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	ix, exists, err := lay.ReadIndex()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if !exists {
		return nil, fmt.Errorf("%s: %w: %s is not an OCI image layout (it has no index.json)", name, errdefs.ErrNotFound, r.Path)
	}
	desc, err := lookup(ix, r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	s := &Source{lay: lay, name: name, desc: desc, log: o.Log()}
	s.log.Debug("oci: source opened", "layout", r.Path, "digest", desc.Digest, "mediaType", desc.MediaType)
	return s, nil
}

// Descriptor is the index.json entry of the image the reference names.
func (s *Source) Descriptor() ocispec.Descriptor { return s.desc }

// Manifest returns the manifest the reference names (instance nil) or an
// instance of it, read from blobs/ALG/HEX and verified against its digest
// (and, for the top one, the size index.json gives).
func (s *Source) Manifest(ctx context.Context, instance *digest.Digest) ([]byte, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	d, size, mediaType := s.desc.Digest, s.desc.Size, s.desc.MediaType
	if instance != nil && *instance != s.desc.Digest {
		d, size, mediaType = *instance, -1, ""
	}
	b, err := s.lay.Blobs.ReadSmall(ctx, d)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", s.name, err)
	}
	if err := verify.Bytes(b, d, size); err != nil {
		return nil, "", fmt.Errorf("%s: manifest %s: %w", s.name, d, err)
	}
	if mediaType == "" {
		mediaType = manifest.Detect(b)
	}
	if mediaType == "" {
		return nil, "", fmt.Errorf("%s: manifest %s: %w: no media type and not a recognizable manifest", s.name, d, errdefs.ErrInvalidManifest)
	}
	return b, mediaType, nil
}

// Blob opens blobs/ALG/HEX (or SHARED/ALG/HEX) for streaming. The caller verifies the content.
func (s *Source) Blob(ctx context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
	f, err := s.lay.Blobs.Open(ctx, d.Digest)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	return f, nil
}

// Close releases nothing: a layout source holds no open files.
func (s *Source) Close() error { return nil }

// ServesPlain reports whether the layer d is stored uncompressed though
// its media type says compressed: the manifest skopeo (and ferry)
// synthesize for a docker-archive calls every layer gzip, and an oci: layout (--preserve-digests)
// copy keeps it. The copier then compresses such a layer for a destination
// that wants compressed ones, as skopeo, which looks at every layer's
// bytes, does.
func (s *Source) ServesPlain(d ocispec.Descriptor) bool {
	return archive.IsUncompressedBlob(s.Blob(context.Background(), d))
}

// lookup picks r's entry of index.json: by digest (the entry, or, when
// index.json does not name it, the blob itself, its media type read from
// its content), else as ocilayout.Lookup does.
func lookup(ix *ocispec.Index, r *Reference) (ocispec.Descriptor, error) {
	if r.Digest == "" {
		return ocilayout.Lookup(ix, r.Ref, r.Index)
	}
	for _, e := range ix.Manifests {
		if e.Digest == r.Digest {
			return e, nil
		}
	}
	return ocispec.Descriptor{Digest: r.Digest, Size: -1}, nil
}
