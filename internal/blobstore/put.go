package blobstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/fsutil"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Put streams r to a temporary file and renames it to the blob's name only
// once r has returned io.EOF with the expected size (desc.Size < 0 skips
// the size check). Any error from r leaves nothing stored.
func (s *Store) Put(ctx context.Context, desc ocispec.Descriptor, r io.Reader) error {
	p, err := s.Path(desc.Digest)
	if err != nil {
		return err
	}
	tmp, err := s.newTemp(p)
	if err != nil {
		return err
	}
	defer tmp.Discard()
	n, err := tmp.CopyFrom(ctx, r)
	if err != nil {
		return fmt.Errorf("blob %s: %w", desc.Digest, err)
	}
	if desc.Size >= 0 && n != desc.Size {
		return fmt.Errorf("blob %s: %w: got %d bytes, want %d", desc.Digest, errdefs.ErrSizeMismatch, n, desc.Size)
	}
	return tmp.Commit(p)
}

// PutBytes stores b as the blob d after checking that b hashes to d: for
// manifests, which are held in memory.
func (s *Store) PutBytes(ctx context.Context, d digest.Digest, b []byte) error {
	if err := d.Validate(); err != nil {
		return fmt.Errorf("%w: digest %q: %v", errdefs.ErrInvalidArgument, d, err)
	}
	if got := d.Algorithm().FromBytes(b); got != d {
		return fmt.Errorf("blob %s: %w: content hashes to %s", d, errdefs.ErrDigestMismatch, got)
	}
	return s.Put(ctx, ocispec.Descriptor{Digest: d, Size: int64(len(b))}, bytes.NewReader(b))
}

// PutFile stores a complete, verified blob file by hard-linking it into
// the store (no bytes copied), or by copying it when it lives on another
// file system.
func (s *Store) PutFile(ctx context.Context, desc ocispec.Descriptor, path string) error {
	p, err := s.Path(desc.Digest)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), fsutil.DirPerm); err != nil {
		return err
	}
	tmp, err := fsutil.NewTempLink(s.root, path)
	if err != nil {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("blob %s: %w", desc.Digest, err)
		}
		defer f.Close()
		return s.Put(ctx, desc, f)
	}
	defer tmp.Discard()
	if desc.Size >= 0 && tmp.Size() != desc.Size {
		return fmt.Errorf("blob %s: %w: got %d bytes, want %d", desc.Digest, errdefs.ErrSizeMismatch, tmp.Size(), desc.Size)
	}
	return tmp.Commit(p)
}

// PutStream stores a blob whose digest is known only at its end: it
// streams r to a temporary file while hashing it (sha256) and renames the
// file to the digest it computed. before, when not nil, is called with the
// digest before the rename (a writer's journal records it there), and
// its error stops the store.
func (s *Store) PutStream(ctx context.Context, mediaType string, r io.Reader, before func(digest.Digest) error) (ocispec.Descriptor, error) {
	if err := ctx.Err(); err != nil {
		return ocispec.Descriptor{}, err
	}
	if err := os.MkdirAll(s.root, fsutil.DirPerm); err != nil {
		return ocispec.Descriptor{}, err
	}
	tmp, err := fsutil.NewTemp(s.root)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	defer tmp.Discard()
	h := sha256.New()
	n, err := tmp.CopyFrom(ctx, io.TeeReader(r, h))
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("blob: %w", err)
	}
	desc := ocispec.Descriptor{MediaType: mediaType, Digest: digest.NewDigest(digest.SHA256, h), Size: n}
	if before != nil {
		if err := before(desc.Digest); err != nil {
			return ocispec.Descriptor{}, err
		}
	}
	p, err := s.Path(desc.Digest)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	if err := os.MkdirAll(filepath.Dir(p), fsutil.DirPerm); err != nil {
		return ocispec.Descriptor{}, err
	}
	if err := tmp.Commit(p); err != nil {
		return ocispec.Descriptor{}, err
	}
	return desc, nil
}

// newTemp starts a temporary file in the store's root for the blob at p,
// making sure p's directory exists.
func (s *Store) newTemp(p string) (*fsutil.Temp, error) {
	if err := os.MkdirAll(filepath.Dir(p), fsutil.DirPerm); err != nil {
		return nil, err
	}
	return fsutil.NewTemp(s.root)
}

// Sync fsyncs the directories holding the blobs ds, so that their names
// survive a crash before anything (an index.json, a manifest.json) names
// them. A directory that does not exist holds none of them: skipped.
func (s *Store) Sync(ds []digest.Digest) error {
	done := map[string]bool{}
	for _, d := range ds {
		p, err := s.Path(d)
		if err != nil {
			return err
		}
		dir := filepath.Dir(p)
		if done[dir] {
			continue
		}
		done[dir] = true
		if err := fsutil.SyncDir(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}
