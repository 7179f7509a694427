// Package blobstore keeps content-addressed files in a directory: the
// blobs/ALG/HEX tree of an OCI image layout (oci:, and later serve) and the
// flat HEX files of skopeo's dir: format. It knows digests, sizes and file
// names, nothing about manifests, tags or index.json: those belong to the
// formats built on it (internal/ocilayout, transport/dir), as oras-go keeps
// its content storage apart from its tag resolver.
//
// Every blob appears under its final name only once complete (a temporary
// file beside it, fsynced, renamed; see internal/fsutil), so a reader never
// sees half a blob. The store does not hash what it is given: the caller's
// reader verifies digest and size and fails at the end when they are
// wrong, and a blob whose reader fails is never stored (see
// transport.Destination).
package blobstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Naming maps a valid digest to the blob's path relative to the store's
// root, with "/" separators.
type Naming func(d digest.Digest) string

// ByAlgorithm names a blob ALG/HEX, as an OCI image layout's blobs/
// directory does (image-layout.md "Blobs").
func ByAlgorithm(d digest.Digest) string { return d.Algorithm().String() + "/" + d.Encoded() }

// ByEncoded names a blob by its hex alone, as skopeo's dir: format does
// whatever the algorithm (a sha512 hex is twice as long as a sha256 one,
// so names cannot collide).
func ByEncoded(d digest.Digest) string { return d.Encoded() }

// Store is a directory of blobs. Its methods may be called concurrently.
type Store struct {
	root   string
	naming Naming
}

// New is the store rooted at root, which must exist; blobs are named by
// naming and temporary files are made in root, so every rename stays on
// one file system.
func New(root string, naming Naming) *Store { return &Store{root: root, naming: naming} }

// Root is the store's directory.
func (s *Store) Root() string { return s.root }

// Path is where the blob d lives. The digest is validated first, so a
// crafted one cannot name a path outside the store.
func (s *Store) Path(d digest.Digest) (string, error) {
	if err := d.Validate(); err != nil {
		return "", fmt.Errorf("%w: digest %q: %v", errdefs.ErrInvalidArgument, d, err)
	}
	return filepath.Join(s.root, filepath.FromSlash(s.naming(d))), nil
}

// Has reports whether the blob exists as a regular file of the expected
// size (desc.Size < 0 skips the size check).
func (s *Store) Has(ctx context.Context, desc ocispec.Descriptor) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	p, err := s.Path(desc.Digest)
	if err != nil {
		return false, err
	}
	st, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("blob %s: %w", desc.Digest, err)
	}
	return st.Mode().IsRegular() && (desc.Size < 0 || st.Size() == desc.Size), nil
}

// Open opens the blob d for reading; a missing blob is errdefs.ErrNotFound.
// The caller verifies what it reads.
func (s *Store) Open(ctx context.Context, d digest.Digest) (*os.File, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := s.Path(d)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob %s: %w", d, errdefs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", d, err)
	}
	return f, nil
}

// Remove deletes the blob d; a missing blob is not an error.
func (s *Store) Remove(d digest.Digest) error {
	p, err := s.Path(d)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob %s: %w", d, err)
	}
	return nil
}

// ReadSmall reads the blob d whole, refusing one larger than
// MaxSmallFile: for manifests, which are read into memory.
func (s *Store) ReadSmall(ctx context.Context, d digest.Digest) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := s.Path(d)
	if err != nil {
		return nil, err
	}
	b, err := ReadSmallFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("manifest %s: %w", d, errdefs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", d, err)
	}
	return b, nil
}

// MaxSmallFile bounds what is read into memory as a manifest, an
// index.json or a signature: real ones are a few KB, and a bound keeps a
// hostile directory from making ferry read a layer into memory.
const MaxSmallFile = 8 << 20

// ReadSmallFile reads a file that must be small (see MaxSmallFile).
func ReadSmallFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxSmallFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxSmallFile {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", errdefs.ErrInvalidManifest, path, MaxSmallFile)
	}
	return b, nil
}
