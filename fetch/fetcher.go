package fetch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/fsutil"
	"github.com/ferrytool/ferry/progress"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Fetcher downloads blobs into its cache directory. It is safe for
// concurrent use; one Fetcher should serve a whole copy (or sync) so that
// its per-host connection budget covers every blob.
type Fetcher struct {
	o     options
	cache *Cache

	disk *disk

	mu      sync.Mutex
	budgets map[string]*budget
	active  map[digest.Digest]chan struct{}
	pins    map[digest.Digest]int
}

// New makes a Fetcher. It creates nothing on disk until a blob is fetched.
func New(opts ...Option) (*Fetcher, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.check(); err != nil {
		return nil, err
	}
	c, err := NewCache(o.dir)
	if err != nil {
		return nil, err
	}
	f := &Fetcher{
		o: o, cache: c,
		budgets: map[string]*budget{},
		disk:    &disk{},
		active:  map[digest.Digest]chan struct{}{},
		pins:    map[digest.Digest]int{},
	}
	c.keep = f.pinned
	return f, nil
}

// Cache is the Fetcher's cache, to list, prune or clear.
func (f *Fetcher) Cache() *Cache { return f.cache }

// Blob is a complete blob in the cache, verified against its descriptor,
// open for reading from its first byte. Its file may be hard-linked or
// copied (Name is its path); it is not evicted from the cache by this
// Fetcher until Close.
type Blob struct {
	*os.File
	desc  ocispec.Descriptor
	once  sync.Once
	unpin func()
}

// Descriptor is the descriptor the blob was fetched and verified by.
func (b *Blob) Descriptor() ocispec.Descriptor { return b.desc }

// Close closes the file and lets the cache evict the blob again.
func (b *Blob) Close() error {
	err := b.File.Close()
	b.once.Do(b.unpin)
	return err
}

// Fetch returns the blob d, verified, from the cache, downloading from src
// whatever the cache lacks: several ranges at once for a large blob,
// resuming where an earlier run (of this or another process) stopped. The
// caller closes the Blob. Errors wrap errdefs sentinels:
// ErrDigestMismatch or ErrSizeMismatch when the content was wrong (the
// partial blob is then discarded), the source's own for refusals, and
// ctx's error on cancellation (progress is then saved for the next run).
func (f *Fetcher) Fetch(ctx context.Context, src RangeReader, d ocispec.Descriptor) (*Blob, error) {
	if err := d.Digest.Validate(); err != nil {
		return nil, fmt.Errorf("%w: blob digest %q: %v", errdefs.ErrInvalidArgument, d.Digest, err)
	}
	if d.Size < 0 {
		return nil, fmt.Errorf("%w: %s: a blob of unknown size cannot be fetched in ranges", errdefs.ErrInvalidArgument, d.Digest)
	}
	release, err := f.claim(ctx, d.Digest)
	if err != nil {
		return nil, err
	}
	defer release()
	if b := f.reused(d); b != nil {
		return b, nil
	}
	if src == nil {
		return nil, fmt.Errorf("%w: %s is not in the cache and there is no source to fetch it from", errdefs.ErrInvalidArgument, d.Digest)
	}
	p := f.cache.paths(d.Digest)
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the blob cache: %w", err)
	}
	// Another process may be fetching the same blob into this cache: wait
	// for it, then most likely reuse its result.
	lk, err := lockFile(ctx, p.lock, true)
	if err != nil {
		return nil, err
	}
	defer unlockFile(lk)
	if b := f.reused(d); b != nil {
		return b, nil
	}
	if err := f.download(ctx, src, d, p); err != nil {
		return nil, err
	}
	if err := os.Rename(p.partial, p.blob); err != nil {
		return nil, fmt.Errorf("storing %s in the blob cache: %w", d.Digest, err)
	}
	os.Remove(p.state)
	if err := fsutil.SyncDir(p.dir); err != nil {
		f.o.log.Debug("fetch: syncing the cache directory failed", "error", err)
	}
	b := f.reuse(d)
	if b == nil {
		return nil, fmt.Errorf("opening %s in the blob cache: %w", d.Digest, errdefs.ErrNotFound)
	}
	if f.o.maxBytes > 0 {
		if freed, err := f.cache.Prune(f.o.maxBytes); err != nil {
			f.o.log.Debug("fetch: pruning the blob cache failed", "error", err)
		} else if freed > 0 {
			f.o.log.Debug("fetch: pruned the blob cache", "freed", freed)
		}
	}
	return b, nil
}

// claim makes the caller the only one in this Fetcher working on dg,
// waiting for whoever is; release ends the claim.
func (f *Fetcher) claim(ctx context.Context, dg digest.Digest) (release func(), err error) {
	for {
		f.mu.Lock()
		ch, busy := f.active[dg]
		if !busy {
			ch = make(chan struct{})
			f.active[dg] = ch
			f.mu.Unlock()
			return func() {
				f.mu.Lock()
				delete(f.active, dg)
				f.mu.Unlock()
				close(ch)
			}, nil
		}
		f.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// reused is reuse for a blob found complete in the cache before any
// download: its bytes are reported as progress taken from the cache.
func (f *Fetcher) reused(d ocispec.Descriptor) *Blob {
	b := f.reuse(d)
	if b != nil {
		f.o.progress.Report(progress.Event{Kind: progress.Advanced, Descriptor: d, Bytes: d.Size, Cached: true})
	}
	return b
}

// reuse opens d's completed blob when the cache has it (of the right size:
// it was verified when stored) and marks it used.
func (f *Fetcher) reuse(d ocispec.Descriptor) *Blob {
	path := f.cache.paths(d.Digest).blob
	file, err := os.Open(path)
	if err != nil {
		return nil
	}
	st, err := file.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() != d.Size {
		file.Close()
		return nil
	}
	now := time.Now()
	_ = os.Chtimes(path, now, now)
	f.mu.Lock()
	f.pins[d.Digest]++
	f.mu.Unlock()
	return &Blob{File: file, desc: d, unpin: func() {
		f.mu.Lock()
		if f.pins[d.Digest]--; f.pins[d.Digest] <= 0 {
			delete(f.pins, d.Digest)
		}
		f.mu.Unlock()
	}}
}

func (f *Fetcher) pinned(dg digest.Digest) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pins[dg] > 0
}

// budgetFor is the connection budget of the host serving d.
func (f *Fetcher) budgetFor(src RangeReader, d ocispec.Descriptor) *budget {
	var key string
	if e, ok := src.(Endpointer); ok {
		key = e.Endpoint(d)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.budgets[key]
	if b == nil {
		b = newBudget(f.o.conns)
		f.budgets[key] = b
	}
	return b
}

// download fills d's partial file, resuming from its sidecar, and leaves
// it complete, verified and synced. Content that turned out wrong is
// discarded; any other failure keeps the progress for the next run.
func (f *Fetcher) download(ctx context.Context, src RangeReader, d ocispec.Descriptor, p entryPaths) error {
	file, st, err := f.openPartial(d, p)
	if err != nil {
		return err
	}
	bf := newBlobFetch(&f.o, src, d, file, p.state, f.budgetFor(src, d), f.disk, st)
	err = bf.run(ctx)
	cerr := file.Close()
	if err != nil {
		if errors.Is(err, errdefs.ErrDigestMismatch) || errors.Is(err, errdefs.ErrSizeMismatch) {
			f.o.log.Debug("fetch: discarding a partial blob", "digest", d.Digest, "error", err)
			os.Remove(p.state)
			os.Remove(p.partial)
		}
		return err
	}
	if cerr != nil {
		return fmt.Errorf("writing %s: %w", p.partial, cerr)
	}
	return nil
}

// openPartial opens d's partial file where its sidecar is sound, or
// starts the blob over: the sidecar is removed first, so no crash can
// leave it describing a file it did not describe.
func (f *Fetcher) openPartial(d ocispec.Descriptor, p entryPaths) (*os.File, resumeState, error) {
	sc, err := readSidecar(p.state)
	if err == nil {
		var st resumeState
		if st, err = sc.restore(d); err == nil {
			var file *os.File
			if file, err = os.OpenFile(p.partial, os.O_RDWR, 0); err == nil {
				if fi, serr := file.Stat(); serr == nil && fi.Size() == d.Size {
					return file, st, nil
				}
				file.Close()
				err = errBadSidecar
			}
		}
	}
	if !errors.Is(err, fs.ErrNotExist) {
		f.o.log.Debug("fetch: cannot resume, starting over", "digest", d.Digest, "error", err)
	}
	if err := os.Remove(p.state); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, resumeState{}, permanent(fmt.Errorf("starting %s over: %w", d.Digest, err))
	}
	file, err := os.OpenFile(p.partial, os.O_CREATE|os.O_RDWR|os.O_TRUNC, 0o644)
	if err == nil {
		if err = file.Truncate(d.Size); err != nil {
			file.Close()
		}
	}
	if err != nil {
		return nil, resumeState{}, permanent(fmt.Errorf("creating a partial blob: %w", err))
	}
	return file, resumeState{h: d.Digest.Algorithm().Hash()}, nil
}
