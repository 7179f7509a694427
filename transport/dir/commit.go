package dir

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/fsutil"
	"github.com/opencontainers/go-digest"
)

// Commit writes manifest.json into the staging directory and makes the
// image visible: a new directory by renaming the staging directory to the
// path; an existing one (or one another writer created meanwhile) under
// its lock, by moving the staged files in, manifest.json last, then
// removing whatever the directory held that is not part of the new image.
func (d *Destination) Commit(ctx context.Context) error {
	staging, err := d.usable(ctx)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.topSet {
		return fmt.Errorf("%s: %w: Commit before PutManifest", d.name, errdefs.ErrInvalidArgument)
	}
	if n := pruneStaged(staging.Root(), d.top); n > 0 {
		d.log.Debug("dir: dropped blobs the image does not use", "count", n)
	}
	if err := fsutil.WriteFile(filepath.Join(staging.Root(), manifestFile), d.top); err != nil {
		return d.wrap(err)
	}
	if err := fsutil.SyncDir(staging.Root()); err != nil {
		return d.wrap(err)
	}
	if d.beside {
		err := os.Rename(staging.Root(), d.root)
		if err == nil {
			d.done = true
			d.log.Debug("dir: committed a new directory", "path", d.root, "digest", digest.FromBytes(d.top))
			return d.wrap(fsutil.SyncDir(filepath.Dir(d.root)))
		}
		if st, serr := os.Stat(d.root); serr != nil || !st.IsDir() {
			return d.wrap(err)
		}
		// Another writer created the directory first: replace its image.
	}
	if err := d.commitInto(ctx, staging.Root()); err != nil {
		return d.wrap(err)
	}
	d.done = true
	os.RemoveAll(staging.Root())
	d.log.Debug("dir: committed", "path", d.root, "digest", digest.FromBytes(d.top))
	return nil
}

// commitInto moves the staged files into the existing directory under its
// lock, manifest.json last, and removes the previous image's files.
func (d *Destination) commitInto(ctx context.Context, staging string) error {
	lk, err := fsutil.Lock(ctx, filepath.Join(d.root, lockFile))
	if err != nil {
		return err
	}
	defer lk.Unlock()
	if err := checkReplaceable(d.root); err != nil {
		return err
	}
	ents, err := os.ReadDir(staging)
	if err != nil {
		return err
	}
	keep := map[string]bool{versionFile: true, manifestFile: true}
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, fsutil.TempPrefix) || name == manifestFile {
			continue
		}
		keep[name] = true
		if err := os.Rename(filepath.Join(staging, name), filepath.Join(d.root, name)); err != nil {
			return err
		}
	}
	if err := fsutil.SyncDir(d.root); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(staging, manifestFile), filepath.Join(d.root, manifestFile)); err != nil {
		return err
	}
	if err := fsutil.SyncDir(d.root); err != nil {
		return err
	}
	d.removeAllBut(keep)
	return nil
}

// removeAllBut removes every entry of the directory not in keep, except
// the lock and other writers' staging directories. The new image is
// already committed, so a failure here leaves stale files, not a broken
// image: it is logged, not returned.
func (d *Destination) removeAllBut(keep map[string]bool) {
	ents, err := os.ReadDir(d.root)
	if err != nil {
		d.log.Warn("dir: cannot list the directory to remove the previous image's files", "path", d.root, "err", err)
		return
	}
	for _, e := range ents {
		name := e.Name()
		if keep[name] || name == lockFile || strings.HasPrefix(name, fsutil.TempPrefix) {
			continue
		}
		p := filepath.Join(d.root, name)
		if err := os.RemoveAll(p); err != nil {
			d.log.Warn("dir: cannot remove a file of the previous image", "path", p, "err", err)
			continue
		}
		d.log.Debug("dir: removed a file of the previous image", "path", p)
	}
}

// Close ends the destination. Without Commit, it removes the staging
// directory, so the path is as it was (a previous image stays whole, a
// new directory never appears).
func (d *Destination) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done {
		return nil
	}
	d.done = true
	if err := os.RemoveAll(d.staging.Root()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s: undo an uncommitted write: %w", d.name, err)
	}
	return nil
}
