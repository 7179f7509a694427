package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/blobstore"
	"github.com/ferrytool/ferry/internal/fsutil"
	"github.com/ferrytool/ferry/internal/ocilayout"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// layoutContent is an OCI layout directory. Written to, it keeps a
// journal of the blobs the registry stored (see ocilayout.Journal), so
// that another writer's rollback never takes a blob a client uploaded
// and is about to name in a manifest, and so that the blobs of a killed
// server are taken back by the layout's next writer. Close rolls the
// journal back: what was uploaded but never named by an image goes.
type layoutContent struct {
	lay *ocilayout.Layout
	log *slog.Logger

	mu      sync.Mutex
	journal *ocilayout.Journal // nil when read-only
}

// openLayout opens the layout at path; writable creates it when missing
// and starts the registry's journal.
func openLayout(ctx context.Context, path string, writable bool, log *slog.Logger) (*layoutContent, error) {
	lay := ocilayout.At(path)
	if !writable {
		if err := blobstore.CheckDir(path); err != nil {
			return nil, err
		}
		if _, err := lay.CheckLayoutFile(); err != nil {
			return nil, err
		}
		if _, _, err := lay.ReadIndex(); err != nil {
			return nil, err
		}
		return &layoutContent{lay: lay, log: log}, nil
	}
	if err := os.MkdirAll(path, fsutil.DirPerm); err != nil {
		return nil, err
	}
	if err := lay.Init(); err != nil {
		return nil, err
	}
	if _, _, err := lay.ReadIndex(); err != nil {
		return nil, err
	}
	fsutil.RemoveStale(lay.Blobs.Root())
	lk, err := lay.Lock(ctx)
	if err != nil {
		return nil, err
	}
	n, err := lay.RecoverStale(ctx)
	lk.Unlock()
	if err != nil {
		log.Warn("serve: cannot remove the blobs of an interrupted writer", "layout", path, "err", err)
	} else if n > 0 {
		log.Info("serve: removed blobs an interrupted writer left", "layout", path, "count", n)
	}
	j, err := lay.NewJournal()
	if err != nil {
		return nil, err
	}
	return &layoutContent{lay: lay, log: log, journal: j}, nil
}

func (c *layoutContent) index(ctx context.Context) (*ocispec.Index, string, error) {
	version := ""
	if st, err := os.Stat(filepath.Join(c.lay.Root, ocilayout.IndexFile)); err == nil {
		version = fmt.Sprint(st.Size(), st.ModTime().UnixNano(), inode(st))
	}
	ix, exists, err := c.lay.ReadIndex()
	if err != nil {
		return nil, "", err
	}
	if !exists {
		ix = ocilayout.NewIndex()
	}
	return ix, version, nil
}

// inode tells two index.json files apart whose size and time agree (one
// replaced the other by rename within the clock's resolution).
func inode(st fs.FileInfo) uint64 {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		return sys.Ino
	}
	return 0
}

func (c *layoutContent) open(ctx context.Context, d digest.Digest) (io.ReadSeekCloser, int64, error) {
	f, err := c.lay.Blobs.Open(ctx, d)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf("blob %s: %w", d, errdefs.ErrNotFound)
	}
	return f, st.Size(), nil
}

// claim records d in the registry's journal before it is stored or
// relied on.
func (c *layoutContent) claim(d digest.Digest) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.journal == nil {
		return errClosed
	}
	return c.journal.Claim(d)
}

// newTemp starts an upload's file in the blobs directory, where its
// final rename stays on one file system and where the layout's next
// writer finds it if the server is killed.
func (c *layoutContent) newTemp() (*fsutil.Temp, error) {
	if err := os.MkdirAll(c.lay.Blobs.Root(), fsutil.DirPerm); err != nil {
		return nil, err
	}
	return fsutil.NewTemp(c.lay.Blobs.Root())
}

// commitTemp names the verified upload tmp as blob d.
func (c *layoutContent) commitTemp(tmp *fsutil.Temp, d digest.Digest) error {
	if err := c.claim(d); err != nil {
		return err
	}
	p, err := c.lay.Blobs.Path(d)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), fsutil.DirPerm); err != nil {
		return err
	}
	return tmp.Commit(p)
}

// putBytes stores a manifest's bytes, verified against d.
func (c *layoutContent) putBytes(ctx context.Context, d digest.Digest, b []byte) error {
	if err := c.claim(d); err != nil {
		return err
	}
	return c.lay.Blobs.PutBytes(ctx, d, b)
}

// has reports whether blob d is in the layout, claiming it first so that
// no other writer's rollback removes it from under a mount.
func (c *layoutContent) has(ctx context.Context, d digest.Digest) (bool, error) {
	if err := c.claim(d); err != nil {
		return false, err
	}
	return c.lay.Blobs.Has(ctx, ocispec.Descriptor{Digest: d, Size: -1})
}

// update changes index.json under the layout's lock: change edits the
// current index and says whether it changed it; the blobs named by need
// must be present and are made durable before the new index.json names
// them.
func (c *layoutContent) update(ctx context.Context, need []digest.Digest, change func(ix *ocispec.Index) (bool, error)) error {
	if err := c.lay.Blobs.Sync(need); err != nil {
		return err
	}
	lk, err := c.lay.Lock(ctx)
	if err != nil {
		return err
	}
	defer lk.Unlock()
	for _, d := range need {
		ok, err := c.lay.Blobs.Has(ctx, ocispec.Descriptor{Digest: d, Size: -1})
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("blob %s: %w: it was removed from the layout meanwhile", d, errdefs.ErrNotFound)
		}
	}
	ix, exists, err := c.lay.ReadIndex()
	if err != nil {
		return err
	}
	if !exists {
		ix = ocilayout.NewIndex()
	}
	changed, err := change(ix)
	if err != nil || !changed {
		return err
	}
	return c.lay.WriteIndex(ix)
}

// removeBlob deletes blob d unless an image of the layout uses it or
// another writer has claimed it: the registry gives up its own claim,
// then rolls back a one-blob journal (see ocilayout.Journal.Rollback),
// which removes exactly that. removed is false when d stays.
func (c *layoutContent) removeBlob(ctx context.Context, d digest.Digest) (removed bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	lk, err := c.lay.Lock(ctx)
	if err != nil {
		return false, err
	}
	defer lk.Unlock()
	if c.journal == nil {
		return false, errClosed
	}
	if err := c.releaseLocked(d); err != nil {
		return false, err
	}
	one, err := c.lay.NewJournal()
	if err != nil {
		return false, err
	}
	if err := one.Claim(d); err != nil {
		one.Done()
		return false, err
	}
	n, err := one.Rollback(ctx)
	if err != nil {
		return false, err
	}
	return n > 0, nil
}

// releaseLocked drops d from the registry's journal: a journal has no
// way to forget one blob, so the registry starts a new journal with its
// other claims and removes the old one. Deletes are rare; this keeps the
// journal's format the layout package's alone.
func (c *layoutContent) releaseLocked(d digest.Digest) error {
	old := c.journal
	claimed := old.Claimed()
	j, err := c.lay.NewJournal()
	if err != nil {
		return err
	}
	for _, x := range claimed {
		if x == d {
			continue
		}
		if err := j.Claim(x); err != nil {
			j.Done()
			return err
		}
	}
	c.journal = j
	return old.Done()
}

// close takes back, under the layout's lock, the blobs the registry
// stored that no image names (uploads no manifest came for).
func (c *layoutContent) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.journal == nil {
		return nil
	}
	lk, err := c.lay.Lock(context.Background())
	if err != nil {
		return err
	}
	defer lk.Unlock()
	n, err := c.journal.Rollback(context.Background())
	c.journal = nil
	if err != nil {
		c.log.Warn("serve: cannot tell which uploaded blobs are unused; leaving them", "layout", c.lay.Root, "err", err)
		return nil
	}
	if n > 0 {
		c.log.Info("serve: removed uploaded blobs no image uses", "layout", c.lay.Root, "count", n)
	}
	return nil
}

var errClosed = errors.New("serve: the registry is closed")
