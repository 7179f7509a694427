// Package ocilayout is the OCI image layout (image-spec image-layout.md)
// for every transport that holds one: oci: (a directory), oci-archive: (a
// tar stream of one) and, later, serve. It owns the layout's files
// (oci-layout, index.json, blobs/ALG/HEX through internal/blobstore),
// index.json's rules (ref names, lookup, replacing a tag), the PATH[:REF]
// grammar, the lock that serializes index.json updates between writers,
// and the journal that lets a failed writer take back the blobs it added
// without taking one another writer needs.
package ocilayout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/blobstore"
	"github.com/ferrytool/ferry/internal/fsutil"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// File names of an OCI image layout (image-layout.md).
const (
	LayoutFile = ocispec.ImageLayoutFile // "oci-layout"
	IndexFile  = ocispec.ImageIndexFile  // "index.json"
	BlobsDir   = ocispec.ImageBlobsDir   // "blobs"
	// lockFile guards index.json updates between writers.
	lockFile = "index.json.lock"
)

// LayoutFileContent is the oci-layout file ferry writes (image-layout.md
// "oci-layout file"), byte for byte what skopeo 1.9.3 writes (the
// differential suite in e2e/ compares them).
const LayoutFileContent = `{"imageLayoutVersion": "1.0.0"}`

// Layout is an OCI image layout directory.
type Layout struct {
	Root  string
	Blobs *blobstore.Store
	// shared is set when Blobs is a directory many layouts share: its
	// blobs are never removed on this layout's behalf (see AtShared).
	shared bool
}

// At is the layout rooted at root; it does no I/O.
func At(root string) *Layout {
	return &Layout{Root: root, Blobs: blobstore.New(filepath.Join(root, BlobsDir), blobstore.ByAlgorithm)}
}

// AtShared is the layout rooted at root whose blobs (manifests and
// configs included) live in blobDir, shared by many layouts, as
// DIR/ALG/HEX: skopeo's --shared-blob-dir (containers/image's oci
// transport, OCISharedBlobDirPath). The layout's own blobs/ stays empty.
// Such a layout cannot know which blobs the other layouts need, so it
// never removes one: a failed or pruned copy leaves its complete blobs in
// the shared directory (content-addressed, visible to nobody until an
// index.json names them). An empty blobDir is At(root).
func AtShared(root, blobDir string) *Layout {
	if blobDir == "" {
		return At(root)
	}
	return &Layout{Root: root, Blobs: blobstore.New(blobDir, blobstore.ByAlgorithm), shared: true}
}

// CheckLayoutFile reads the oci-layout file, if any, and refuses a layout
// of a version ferry does not know (image-layout.md "oci-layout file").
// present reports whether the file exists.
func (l *Layout) CheckLayoutFile() (present bool, err error) {
	b, err := os.ReadFile(filepath.Join(l.Root, LayoutFile))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var v ocispec.ImageLayout
	if err := json.Unmarshal(b, &v); err != nil {
		return true, fmt.Errorf("%w: oci-layout file: %v", errdefs.ErrInvalidArchive, err)
	}
	if !strings.HasPrefix(v.Version, "1.") {
		return true, fmt.Errorf("%w: image layout version %q (ferry reads 1.x)", errdefs.ErrNotSupported, v.Version)
	}
	return true, nil
}

// Init makes root a layout ready for blobs: the oci-layout file (when
// missing) and the blobs directory.
func (l *Layout) Init() error {
	present, err := l.CheckLayoutFile()
	if err != nil {
		return err
	}
	if !present {
		if err := fsutil.WriteFile(filepath.Join(l.Root, LayoutFile), []byte(LayoutFileContent)); err != nil {
			return err
		}
	}
	return os.MkdirAll(filepath.Join(l.Root, BlobsDir), fsutil.DirPerm)
}

// ReadIndex reads index.json; exists is false when there is none.
func (l *Layout) ReadIndex() (ix *ocispec.Index, exists bool, err error) {
	raw, err := blobstore.ReadSmallFile(filepath.Join(l.Root, IndexFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	ix, err = ParseIndex(raw)
	if err != nil {
		return nil, true, fmt.Errorf("index.json: %w", err)
	}
	return ix, true, nil
}

// WriteIndex replaces index.json atomically and makes the name durable.
// Hold the lock (Lock) while reading, changing and writing it.
func (l *Layout) WriteIndex(ix *ocispec.Index) error {
	b, err := json.Marshal(ix)
	if err != nil {
		return err
	}
	if present, err := l.CheckLayoutFile(); err != nil {
		return err
	} else if !present {
		if err := fsutil.WriteFile(filepath.Join(l.Root, LayoutFile), []byte(LayoutFileContent)); err != nil {
			return err
		}
	}
	if err := fsutil.WriteFile(filepath.Join(l.Root, IndexFile), b); err != nil {
		return err
	}
	return fsutil.SyncDir(l.Root)
}

// Lock takes the layout's writer lock (index.json.lock), waiting while
// another writer, in this process or another, holds it.
func (l *Layout) Lock(ctx context.Context) (*fsutil.FileLock, error) {
	return fsutil.Lock(ctx, filepath.Join(l.Root, lockFile))
}
