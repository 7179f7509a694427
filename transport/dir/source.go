package dir

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/archive"
	"github.com/ferrytool/ferry/internal/blobstore"
	"github.com/ferrytool/ferry/internal/verify"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Source reads a dir: image.
type Source struct {
	root string
	name string // "dir:PATH", for messages
}

var _ transport.Source = (*Source)(nil)

func newSource(ctx context.Context, r *Reference, o *transport.Options) (transport.Source, error) {
	s, err := OpenSource(ctx, r, o)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// OpenSource opens the dir: image r names for reading; r.NewSource does
// the same behind the transport.Source interface. The directory must hold
// a manifest.json; the version file is not required (skopeo does not
// require it either).
func OpenSource(ctx context.Context, r *Reference, o *transport.Options) (*Source, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	name := transport.FullName(r)
	if err := blobstore.CheckDir(r.Path); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	ok, err := exists(r.Path, manifestFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if !ok {
		return nil, fmt.Errorf("%s: %w: %s holds no dir: image (it has no manifest.json)", name, errdefs.ErrNotFound, r.Path)
	}
	o.Log().Debug("dir: source opened", "path", r.Path)
	return &Source{root: r.Path, name: name}, nil
}

// Manifest returns manifest.json (instance nil) or HEX.manifest.json,
// verified against the instance digest. Its media type is read from the
// bytes, as the directory does not record it.
func (s *Source) Manifest(ctx context.Context, instance *digest.Digest) ([]byte, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	b, err := s.readManifest(instance)
	if err != nil {
		return nil, "", err
	}
	mt := manifest.Detect(b)
	if mt == "" {
		return nil, "", fmt.Errorf("%s: %w: manifest is not a recognizable manifest", s.name, errdefs.ErrInvalidManifest)
	}
	return b, mt, nil
}

func (s *Source) readManifest(instance *digest.Digest) ([]byte, error) {
	if instance == nil {
		b, err := readSmallFile(filepath.Join(s.root, manifestFile))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		return b, nil
	}
	name, err := instanceName(*instance)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	b, err := readSmallFile(filepath.Join(s.root, name))
	if errors.Is(err, fs.ErrNotExist) {
		// The instance asked for may be the top manifest itself.
		top, terr := readSmallFile(filepath.Join(s.root, manifestFile))
		if terr == nil && instance.Algorithm().Available() && instance.Algorithm().FromBytes(top) == *instance {
			return top, nil
		}
		return nil, fmt.Errorf("%s: manifest %s: %w", s.name, *instance, errdefs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: manifest %s: %w", s.name, *instance, err)
	}
	if err := verify.Bytes(b, *instance, -1); err != nil {
		return nil, fmt.Errorf("%s: manifest %s: %w", s.name, *instance, err)
	}
	return b, nil
}

// Blob opens the blob's file for streaming. The caller verifies it.
func (s *Source) Blob(ctx context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
	f, err := blobstore.New(s.root, blobstore.ByEncoded).Open(ctx, d.Digest)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	return f, nil
}

// Close releases nothing: a dir: source holds no open files.
func (s *Source) Close() error { return nil }

// ServesPlain reports whether the layer d is stored uncompressed though
// its media type says compressed: the manifest skopeo (and ferry)
// synthesize for a docker-archive calls every layer gzip, and a dir:
// copy keeps it. The copier then compresses such a layer for a destination
// that wants compressed ones, as skopeo, which looks at every layer's
// bytes, does.
func (s *Source) ServesPlain(d ocispec.Descriptor) bool {
	return archive.IsUncompressedBlob(s.Blob(context.Background(), d))
}
