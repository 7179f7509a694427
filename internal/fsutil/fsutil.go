// Package fsutil holds the few file-system moves ferry shares: a file that
// appears whole or not at all (temp name, fsync, rename), an exclusive file
// lock between processes (lock_unix.go), a context-aware reader, and a
// directory fsync. Every atomic write and every lock in ferry goes through
// here.
package fsutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// TempPrefix starts the name of every temporary file these helpers create,
// so a cleanup (or a person) can tell them apart from real content.
const TempPrefix = ".ferry-tmp-"

// FilePerm and DirPerm are the modes of what the transports write, as
// skopeo writes them.
const (
	FilePerm fs.FileMode = 0o644
	DirPerm  fs.FileMode = 0o755
)

// WriteFile replaces path with data atomically: readers see the old file or
// the new one, never a partial write. The new file is fsynced before the
// rename; the directory is not (call SyncDir when durability of the name
// matters).
func WriteFile(path string, data []byte) error {
	return WriteFileMode(path, data, FilePerm)
}

// WriteFileMode is WriteFile with the new file's mode given (0o600 for a
// file holding credentials). The mode is set before any byte is written, so
// a secret is never readable by others, not even under the temporary name.
func WriteFileMode(path string, data []byte, perm fs.FileMode) error {
	t, err := NewTemp(filepath.Dir(path))
	if err != nil {
		return err
	}
	if err := t.f.Chmod(perm); err != nil {
		t.Discard()
		return fmt.Errorf("write %s: %w", t.Name(), err)
	}
	if _, err := t.f.Write(data); err != nil {
		t.Discard()
		return fmt.Errorf("write %s: %w", t.Name(), err)
	}
	return t.commit(path, perm)
}

// SyncDir fsyncs a directory so that renames into it survive a crash.
func SyncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// Temp is a file being written under a temporary name in the directory it
// will end up in, so that the final rename is atomic.
type Temp struct {
	f    *os.File
	size int64
	done bool
}

// NewTemp creates an empty temporary file in dir.
func NewTemp(dir string) (*Temp, error) {
	f, err := os.CreateTemp(dir, TempPattern())
	if err != nil {
		return nil, fmt.Errorf("create a temporary file: %w", err)
	}
	return &Temp{f: f}, nil
}

// NewTempLink makes a temporary name in dir for the existing file src by
// hard-linking it, so a complete file (a verified blob in the download
// cache) enters a destination without its bytes being copied. It fails
// when src is on another file system; callers then copy.
func NewTempLink(dir, src string) (*Temp, error) {
	f, err := os.CreateTemp(dir, TempPattern())
	if err != nil {
		return nil, fmt.Errorf("create a temporary file: %w", err)
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	if err := os.Link(src, name); err != nil {
		return nil, err
	}
	f, err = os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		os.Remove(name)
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		os.Remove(name)
		return nil, err
	}
	return &Temp{f: f, size: st.Size()}, nil
}

// TempPattern names temporary files after the process that writes them
// (".ferry-tmp-PID-RANDOM"), so RemoveStale can tell a dead writer's
// leftovers from a live one's work.
func TempPattern() string { return TempPrefix + strconv.Itoa(os.Getpid()) + "-*" }

// RemoveStale deletes the temporary files and directories in dir that a
// ferry process left when it was killed: those whose PID names no running
// process. Entries of live processes, and anything not named by
// TempPattern, are left alone. It returns how many it removed.
func RemoveStale(dir string) int {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), TempPrefix)
		if !ok {
			continue
		}
		if !Stale(rest) {
			continue
		}
		if os.RemoveAll(filepath.Join(dir, e.Name())) == nil {
			n++
		}
	}
	return n
}

// Stale reports whether a temporary name, with TempPrefix removed
// ("PID-RANDOM..."), belongs to a process that is gone.
func Stale(rest string) bool {
	pidText, _, ok := strings.Cut(rest, "-")
	pid, err := strconv.Atoi(pidText)
	return ok && err == nil && pid > 0 && pid != os.Getpid() && !processAlive(pid)
}

// MkdirTemp creates a temporary directory in dir named by TempPattern, so
// RemoveStale finds it once its writer is gone.
func MkdirTemp(dir string) (string, error) {
	p, err := os.MkdirTemp(dir, TempPattern())
	if err != nil {
		return "", fmt.Errorf("create a temporary directory: %w", err)
	}
	return p, nil
}

// Name is the temporary file's path.
func (t *Temp) Name() string { return t.f.Name() }

// Size is the number of bytes copied in so far.
func (t *Temp) Size() int64 { return t.size }

// CopyFrom copies r to the file until r returns io.EOF. Any other error,
// including the one a verifying reader returns at the end of bad content,
// is returned, and the caller must then Discard. ctx cancels the copy
// between reads.
func (t *Temp) CopyFrom(ctx context.Context, r io.Reader) (int64, error) {
	n, err := io.Copy(t.f, Reader(ctx, r))
	t.size += n
	return n, err
}

// Commit fsyncs the file, makes it world-readable and renames it to path,
// replacing whatever was there.
//
// When path is already a hard link to the same file (two writers linked
// one cached blob), rename(2) does nothing and leaves the temporary name
// behind; Commit then removes that name, so no temporary file survives.
func (t *Temp) Commit(path string) error { return t.commit(path, FilePerm) }

func (t *Temp) commit(path string, perm fs.FileMode) error {
	if t.done {
		return errors.New("fsutil: temporary file already committed or discarded")
	}
	t.done = true
	name := t.f.Name()
	err := t.f.Sync()
	if err == nil {
		err = t.f.Chmod(perm)
	}
	if cerr := t.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, path)
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("store %s: %w", path, err)
	}
	removeIfSameFile(name, path)
	return nil
}

// removeIfSameFile removes name when it still exists as another link of
// path's file: what a rename between two links of one inode leaves.
func removeIfSameFile(name, path string) {
	left, err := os.Lstat(name)
	if err != nil {
		return
	}
	if now, err := os.Lstat(path); err == nil && os.SameFile(left, now) {
		os.Remove(name)
	}
}

// Discard closes and removes the temporary file. It is safe to call after
// Commit (it then does nothing), so callers can defer it.
func (t *Temp) Discard() {
	if t.done {
		return
	}
	t.done = true
	t.f.Close()
	os.Remove(t.f.Name())
}

// Reader returns r made to fail with ctx's error once ctx is done, so a
// long copy stops promptly on cancellation.
func Reader(ctx context.Context, r io.Reader) io.Reader {
	if ctx.Done() == nil {
		return r
	}
	return &ctxReader{ctx: ctx, r: r}
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
