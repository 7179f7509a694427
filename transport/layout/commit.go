package layout

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/fsutil"
	"github.com/ferrytool/ferry/internal/ocilayout"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Commit makes the image visible. A new layout gets its index.json and is
// renamed from its temporary name to the path; if another writer created
// the path meanwhile, this writer's blobs move into that layout and the
// image is added to it as to any existing one. In an existing layout,
// under the lock, Commit checks that every blob the image needs is there,
// re-reads index.json (another writer may have changed it since Open),
// adds or replaces this image's entry (see ocilayout.AddEntry) and
// replaces the file atomically. Blob names are fsynced first, so
// index.json never names a blob a crash could lose.
func (d *Destination) Commit(ctx context.Context) error {
	if err := d.usable(ctx); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.top == nil {
		return fmt.Errorf("%s: %w: Commit before PutManifest", d.name, errdefs.ErrInvalidArgument)
	}
	touched := make([]digest.Digest, 0, len(d.touched))
	for dg := range d.touched {
		touched = append(touched, dg)
	}
	if err := d.lay.Blobs.Sync(touched); err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	if d.staging != "" {
		renamed, err := d.commitStaging(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		if renamed {
			d.committed = true
			d.log.Debug("oci: committed a new layout", "layout", d.final, "ref", d.ref, "digest", d.top.Digest)
			return nil
		}
		if err := d.adopt(); err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
	}
	if err := d.commitInPlace(ctx); err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	d.committed = true
	d.log.Debug("oci: committed", "layout", d.final, "ref", d.ref, "digest", d.top.Digest)
	return nil
}

// commitStaging writes the new layout's index.json and renames the layout
// to its path. renamed is false when the path exists by now (another
// writer's layout): the caller then adopts it.
func (d *Destination) commitStaging(ctx context.Context) (renamed bool, err error) {
	ix := ocilayout.NewIndex()
	ocilayout.AddEntry(ix, *d.top, d.ref)
	if n, err := d.lay.Prune(ctx, ix); err != nil {
		return false, err
	} else if n > 0 {
		d.log.Debug("oci: dropped blobs the image does not use", "count", n)
	}
	if err := d.lay.WriteIndex(ix); err != nil {
		return false, err
	}
	err = os.Rename(d.staging, d.final)
	if err == nil {
		d.staging = ""
		d.lay = ocilayout.AtShared(d.final, d.shared)
		return true, fsutil.SyncDir(filepath.Dir(d.final))
	}
	if st, serr := os.Stat(d.final); serr == nil && st.IsDir() {
		return false, nil
	}
	return false, err
}

// adopt moves the blobs of the temporary layout into the layout another
// writer created at the path meanwhile, each recorded in a journal first,
// so that Commit (or Close) can go on as for an existing layout.
func (d *Destination) adopt() error {
	lay := ocilayout.AtShared(d.final, d.shared)
	if _, err := lay.CheckLayoutFile(); err != nil {
		return err
	}
	if _, _, err := lay.ReadIndex(); err != nil {
		return err
	}
	j, err := lay.NewJournal()
	if err != nil {
		return err
	}
	staged := d.lay
	d.lay, d.journal = lay, j
	for dg := range d.touched {
		if err := j.Claim(dg); err != nil {
			return err
		}
		from, _ := staged.Blobs.Path(dg)
		to, err := lay.Blobs.Path(dg)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(to), fsutil.DirPerm); err != nil {
			return err
		}
		if err := os.Rename(from, to); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	os.RemoveAll(d.staging)
	d.staging = ""
	d.log.Debug("oci: another copy created the layout first; adding to it", "layout", d.final)
	return nil
}

// commitInPlace names the image in the existing layout's index.json, under
// the layout lock, after checking that every blob it needs is present.
func (d *Destination) commitInPlace(ctx context.Context) error {
	lk, err := d.lay.Lock(ctx)
	if err != nil {
		return err
	}
	defer lk.Unlock()
	need, err := d.lay.Referenced(ctx, &ocispec.Index{Manifests: []ocispec.Descriptor{*d.top}})
	if err != nil {
		return err
	}
	need[d.top.Digest] = true
	for dg := range need {
		ok, err := d.lay.Blobs.Has(ctx, ocispec.Descriptor{Digest: dg, Size: -1})
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("blob %s: %w: it was removed from the layout during the copy", dg, errdefs.ErrNotFound)
		}
	}
	ix, exists, err := d.lay.ReadIndex()
	if err != nil {
		return err
	}
	if !exists {
		ix = ocilayout.NewIndex()
	}
	ocilayout.AddEntry(ix, *d.top, d.ref)
	if err := d.lay.WriteIndex(ix); err != nil {
		return err
	}
	// The image is committed. Blobs this copy stored that no image uses
	// (what a hostile source added beside the image) go now.
	n, err := d.journal.Rollback(ctx)
	if err != nil {
		d.log.Warn("oci: cannot tell which blobs the copy stored are unused; leaving them", "layout", d.final, "err", err)
	} else if n > 0 {
		d.log.Debug("oci: dropped blobs the image does not use", "layout", d.final, "count", n)
	}
	return nil
}

// Close ends the destination. Without Commit, the path is as it was: a
// new layout's temporary directory is removed; in an existing layout, the
// blobs this writer added that no image and no other writer needs are
// removed (see ocilayout.Journal.Rollback). Temporary files are already
// gone: each write removes its own on failure.
func (d *Destination) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	if d.committed {
		return nil
	}
	var errs []error
	if d.staging != "" {
		if err := os.RemoveAll(d.staging); err != nil {
			errs = append(errs, fmt.Errorf("%s: remove the unfinished layout: %w", d.name, err))
		}
	}
	if d.journal != nil {
		errs = append(errs, d.rollback())
	}
	return errors.Join(errs...)
}

// rollback takes back, under the layout lock, the blobs this writer added
// that no image and no other writer needs. Not knowing which ones those
// are is logged, not returned: the image itself was not committed.
func (d *Destination) rollback() error {
	lk, err := d.lay.Lock(context.Background())
	if err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	defer lk.Unlock()
	n, err := d.journal.Rollback(context.Background())
	if err != nil {
		d.log.Warn("oci: cannot tell which blobs of the failed copy are unused; leaving them", "layout", d.final, "err", err)
		return nil
	}
	d.lay.RemoveEmptyBlobs()
	d.log.Debug("oci: removed the blobs of an uncommitted copy", "layout", d.final, "count", n)
	return nil
}
