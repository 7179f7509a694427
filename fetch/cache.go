package fetch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ferrytool/ferry/internal/fsutil"
	"github.com/opencontainers/go-digest"
)

// File name suffixes of a cache entry next to the completed blob (named by
// the digest's encoded part, under a directory named by its algorithm).
const (
	partialSuffix = ".partial"
	stateSuffix   = ".state"
	lockSuffix    = ".lock"
	tmpSuffix     = ".tmp"
)

// DefaultDir is where the cache lives unless a Fetcher is told otherwise:
// $XDG_CACHE_HOME/ferry/blobs (~/.cache/ferry/blobs on Linux when unset).
func DefaultDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the blob cache directory: %w", err)
	}
	return filepath.Join(base, "ferry", "blobs"), nil
}

// Cache is a directory of blobs named by digest: completed, verified blobs
// that later copies reuse, and partial ones with their sidecars that later
// fetches resume. Its methods are safe to call while fetches run, in this
// process or another: an entry being fetched is left alone.
type Cache struct {
	dir string
	// keep, when set, names blobs a Fetcher has handed out and not yet
	// had back: pruning spares them.
	keep func(digest.Digest) bool
}

// NewCache opens the cache in dir ("" for DefaultDir()). It creates
// nothing until a blob is fetched.
func NewCache(dir string) (*Cache, error) {
	if dir == "" {
		var err error
		if dir, err = DefaultDir(); err != nil {
			return nil, err
		}
	}
	return &Cache{dir: dir}, nil
}

// Dir is the cache directory.
func (c *Cache) Dir() string { return c.dir }

// entryPaths are the files of one cache entry.
type entryPaths struct {
	dir, blob, partial, state, lock string
}

func (c *Cache) paths(d digest.Digest) entryPaths {
	dir := filepath.Join(c.dir, d.Algorithm().String())
	base := filepath.Join(dir, d.Encoded())
	return entryPaths{dir: dir, blob: base, partial: base + partialSuffix, state: base + stateSuffix, lock: base + lockSuffix}
}

// Entry describes one blob in the cache.
type Entry struct {
	Digest digest.Digest
	// Complete is true for a verified blob, false for a partial one.
	Complete bool
	// Size is the blob's size (0 for a partial blob whose sidecar is
	// damaged).
	Size int64
	// Stored is the number of the blob's bytes the cache holds: Size for a
	// complete blob, the bytes saved so far for a partial one.
	Stored int64
	// Used is when a fetch last wrote or reused the blob.
	Used time.Time
	// Path is the blob's file (the partial file for a partial blob).
	Path string
}

// List returns the cache's entries, least recently used first (the order
// Prune evicts them in).
func (c *Cache) List() ([]Entry, error) {
	algs, err := os.ReadDir(c.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing the blob cache: %w", err)
	}
	var out []Entry
	for _, a := range algs {
		alg := digest.Algorithm(a.Name())
		if !a.IsDir() || !alg.Available() {
			continue
		}
		names, err := os.ReadDir(filepath.Join(c.dir, a.Name()))
		if err != nil {
			return nil, fmt.Errorf("listing the blob cache: %w", err)
		}
		seen := map[digest.Digest]bool{}
		for _, n := range names {
			d := digest.NewDigestFromEncoded(alg, stem(n.Name()))
			if seen[d] || d.Validate() != nil {
				continue
			}
			seen[d] = true
			if e, ok := c.entry(d); ok {
				out = append(out, e)
			}
		}
	}
	slices.SortFunc(out, func(a, b Entry) int { return a.Used.Compare(b.Used) })
	return out, nil
}

// stem strips an entry file's suffixes, leaving the encoded digest.
func stem(name string) string {
	name = strings.TrimSuffix(name, tmpSuffix)
	for _, s := range []string{partialSuffix, stateSuffix, lockSuffix} {
		name = strings.TrimSuffix(name, s)
	}
	return name
}

// entry describes d as the cache holds it; ok is false when only stray
// files (a lock, a temporary sidecar) are left of it.
func (c *Cache) entry(d digest.Digest) (Entry, bool) {
	p := c.paths(d)
	if st, err := os.Stat(p.blob); err == nil && st.Mode().IsRegular() {
		return Entry{Digest: d, Complete: true, Size: st.Size(), Stored: st.Size(), Used: st.ModTime(), Path: p.blob}, true
	}
	st, err := os.Stat(p.partial)
	if err != nil {
		return Entry{}, false
	}
	e := Entry{Digest: d, Used: st.ModTime(), Path: p.partial}
	if sc, err := readSidecar(p.state); err == nil && sc.Digest == d {
		e.Size = sc.Size
		for _, r := range sc.Ranges {
			e.Stored += r[1] - r[0]
		}
	}
	return e, true
}

// Clear removes every entry not being fetched right now, and whatever
// stray files fetches left behind.
func (c *Cache) Clear() error {
	algs, err := os.ReadDir(c.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("clearing the blob cache: %w", err)
	}
	var errs []error
	for _, a := range algs {
		alg := digest.Algorithm(a.Name())
		if !a.IsDir() || !alg.Available() {
			continue
		}
		names, err := os.ReadDir(filepath.Join(c.dir, a.Name()))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		seen := map[digest.Digest]bool{}
		for _, n := range names {
			d := digest.NewDigestFromEncoded(alg, stem(n.Name()))
			if seen[d] || d.Validate() != nil {
				continue
			}
			seen[d] = true
			if _, err := c.remove(d); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("clearing the blob cache: %w", err)
	}
	return nil
}

// Prune evicts completed blobs, least recently used first, until the cache
// holds at most max bytes, and returns how many bytes it freed. Partial
// blobs are kept for their fetches to resume; blobs in use are spared.
func (c *Cache) Prune(max int64) (int64, error) {
	// Sidecars are replaced through fsutil temporary files; a killed
	// process's are removed here.
	if algs, err := os.ReadDir(c.dir); err == nil {
		for _, a := range algs {
			if a.IsDir() {
				fsutil.RemoveStale(filepath.Join(c.dir, a.Name()))
			}
		}
	}
	entries, err := c.List()
	if err != nil {
		return 0, err
	}
	var total, freed int64
	for _, e := range entries {
		total += e.Stored
	}
	for _, e := range entries {
		if total <= max {
			break
		}
		if !e.Complete || (c.keep != nil && c.keep(e.Digest)) {
			continue
		}
		ok, err := c.remove(e.Digest)
		if err != nil {
			return freed, fmt.Errorf("pruning the blob cache: %w", err)
		}
		if ok {
			total -= e.Stored
			freed += e.Stored
		}
	}
	return freed, nil
}

// remove deletes every file of d's entry unless a fetch holds it; it
// reports whether it did.
func (c *Cache) remove(d digest.Digest) (bool, error) {
	p := c.paths(d)
	lk, err := lockFile(context.Background(), p.lock, false)
	if errors.Is(err, errLocked) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer unlockFile(lk)
	var errs []error
	for _, name := range []string{p.blob, p.partial, p.state, p.state + tmpSuffix} {
		if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return true, errors.Join(errs...)
}
