package ocilayout

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/ferrytool/ferry/internal/fsutil"
	"github.com/opencontainers/go-digest"
)

// A Journal records, in the layout itself, every blob one writer touches
// (stores or finds already there), before it touches it: a directory
// .ferry-tmp-PID-RANDOM holding an empty file ALG-HEX per blob. It lets a
// writer that fails (or, through the next writer, one that was killed)
// take back the blobs it added without taking one that another writer
// needs:
//
//   - a blob named by index.json's images stays;
//   - a blob claimed by another writer's journal stays (that writer may be
//     about to commit an image using it);
//   - any other blob the failed writer touched is removed.
//
// Removal happens under the layout lock, by renaming the blob away and
// then checking the other journals again: a writer claims before it looks,
// so a writer that saw the blob before the rename has its claim visible
// after it, and the blob is put back; one that looks after the rename
// finds no blob and stores its own copy.
type Journal struct {
	l   *Layout
	dir string

	mu      sync.Mutex
	claimed map[digest.Digest]bool
}

// NewJournal starts this writer's journal in the layout.
func (l *Layout) NewJournal() (*Journal, error) {
	dir, err := fsutil.MkdirTemp(l.Root)
	if err != nil {
		return nil, err
	}
	return &Journal{l: l, dir: dir, claimed: map[digest.Digest]bool{}}, nil
}

// journalEntry is the file name of d in a journal.
func journalEntry(d digest.Digest) string { return d.Algorithm().String() + "-" + d.Encoded() }

// Claim records d before the writer looks for or stores it.
func (j *Journal) Claim(d digest.Digest) error {
	if err := d.Validate(); err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.claimed[d] {
		return nil
	}
	f, err := os.OpenFile(filepath.Join(j.dir, journalEntry(d)), os.O_CREATE|os.O_WRONLY, fsutil.FilePerm)
	if err != nil {
		return fmt.Errorf("record blob %s in the writer's journal: %w", d, err)
	}
	f.Close()
	j.claimed[d] = true
	return nil
}

// Claimed lists the blobs claimed so far.
func (j *Journal) Claimed() []digest.Digest {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]digest.Digest, 0, len(j.claimed))
	for d := range j.claimed {
		out = append(out, d)
	}
	return out
}

// Done removes the journal once the writer's image is in index.json (or
// once it has been rolled back). Call it with the layout lock held.
func (j *Journal) Done() error { return os.RemoveAll(j.dir) }

// Rollback removes the blobs this writer touched that neither index.json
// nor another writer's journal names, then the journal. Call it with the
// layout lock held: after a failure, or after a commit (index.json then
// names the new image, and what is left are blobs the copy stored but the
// image does not use, such as the extra members of a hostile archive). It returns how many blobs it removed; when index.json
// cannot be walked it removes no blob (a wrong guess would break an
// image) and says why.
//
// In a layout whose blobs are shared with others (AtShared) it removes no
// blob: another layout may need any of them.
func (j *Journal) Rollback(ctx context.Context) (int, error) {
	defer j.Done()
	if j.l.shared {
		return 0, nil
	}
	claimed, err := readJournal(j.dir)
	if err != nil {
		return 0, err
	}
	keep := map[digest.Digest]bool{}
	ix, exists, err := j.l.ReadIndex()
	if err != nil {
		return 0, err
	}
	if exists {
		if keep, err = j.l.Referenced(ctx, ix); err != nil {
			return 0, err
		}
	}
	n := 0
	for _, d := range claimed {
		if keep[d] || j.l.claimedElsewhere(d, j.dir) {
			continue
		}
		removed, err := j.l.removeUnclaimed(d, j.dir)
		if err != nil {
			return n, err
		}
		if removed {
			n++
		}
	}
	return n, nil
}

// removeUnclaimed moves blob d aside, checks the other journals again and
// puts it back if one claimed it meanwhile; otherwise deletes it.
func (l *Layout) removeUnclaimed(d digest.Digest, self string) (bool, error) {
	p, err := l.Blobs.Path(d)
	if err != nil {
		return false, err
	}
	aside := filepath.Join(l.Blobs.Root(), fsutil.TempPrefix+strconv.Itoa(os.Getpid())+"-gone-"+journalEntry(d))
	if err := os.Rename(p, aside); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if l.claimedElsewhere(d, self) {
		return false, os.Rename(aside, p)
	}
	return true, os.Remove(aside)
}

// claimedElsewhere reports whether a journal other than self names d.
func (l *Layout) claimedElsewhere(d digest.Digest, self string) bool {
	for _, dir := range l.journals() {
		if dir == self {
			continue
		}
		if _, err := os.Lstat(filepath.Join(dir, journalEntry(d))); err == nil {
			return true
		}
	}
	return false
}

// journals lists the journal directories in the layout.
func (l *Layout) journals() []string {
	ents, err := os.ReadDir(l.Root)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && strings.HasPrefix(e.Name(), fsutil.TempPrefix) {
			out = append(out, filepath.Join(l.Root, e.Name()))
		}
	}
	return out
}

// readJournal lists the blobs a journal directory names.
func readJournal(dir string) ([]digest.Digest, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []digest.Digest
	for _, e := range ents {
		alg, hex, ok := strings.Cut(e.Name(), "-")
		d := digest.NewDigestFromEncoded(digest.Algorithm(alg), hex)
		if ok && d.Validate() == nil {
			out = append(out, d)
		}
	}
	return out, nil
}

// RecoverStale rolls back the journals of writers that are gone (killed
// before they could commit or roll back), so their blobs do not stay in
// the layout as orphans. Call it with the layout lock held. It returns how
// many blobs it removed.
func (l *Layout) RecoverStale(ctx context.Context) (int, error) {
	n := 0
	var errs []error
	for _, dir := range l.journals() {
		if !fsutil.Stale(strings.TrimPrefix(filepath.Base(dir), fsutil.TempPrefix)) {
			continue
		}
		j := &Journal{l: l, dir: dir}
		k, err := j.Rollback(ctx)
		n += k
		if err != nil {
			errs = append(errs, err)
		}
	}
	return n, errors.Join(errs...)
}

// RemoveEmptyBlobs removes the blobs directory (and its empty ALG
// directories) when the directory holds no layout yet (no index.json)
// and no writer is at work in it, so a failed copy into an empty
// directory leaves it empty. Call it with the layout lock held.
func (l *Layout) RemoveEmptyBlobs() {
	if _, exists, err := l.ReadIndex(); exists || err != nil || len(l.journals()) > 0 {
		return
	}
	own := filepath.Join(l.Root, BlobsDir) // not a shared blob directory
	algs, err := os.ReadDir(own)
	if err != nil {
		return
	}
	for _, a := range algs {
		if a.IsDir() {
			os.Remove(filepath.Join(own, a.Name()))
		}
	}
	os.Remove(own)
}
