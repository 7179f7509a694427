package fetch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/progress"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
)

// segment is a byte range of the blob still to fetch: [next, end). At most
// one connection owns it at a time; end only shrinks (when an idle
// connection takes the back half), next only grows.
type segment struct {
	next, end int64
	owned     bool
	dead      bool // dropped when the blob fell back to one stream
	// since and from mark when the current owner took the segment and
	// where it stood, so its rate shows whether splitting it pays.
	since time.Time
	from  int64
}

// A range in flight is split for an idle connection only when that ends
// the range sooner: the idle connection's request first waits a round trip
// (the time a request takes to answer, measured on the blob's requests)
// before a byte arrives, so splitting a range its owner would finish in T
// ends it at T/2 plus that wait, a gain only when T is well above twice
// the wait. stealWaits is how many waits T must exceed; minStealTime is
// the floor (a fast link's owner finishes sooner than a new request helps,
// and the bytes in flight past the split point are wasted).
const (
	stealWaits   = 3
	minStealTime = 100 * time.Millisecond
)

// worthSplitting reports whether v's owner, at the rate it has shown,
// needs longer than limit for what is left.
func (v *segment) worthSplitting(now time.Time, limit time.Duration) bool {
	elapsed := now.Sub(v.since)
	done := v.next - v.from
	if v.since.IsZero() || elapsed < 100*time.Millisecond {
		return false // no rate yet
	}
	if done <= 0 {
		return true // nothing arrived at all: a slow start
	}
	rate := float64(done) / elapsed.Seconds()
	return float64(v.end-v.next)/rate > limit.Seconds()
}

// blobFetch is one blob being fetched into its partial file.
type blobFetch struct {
	o      *options
	src    RangeReader
	d      ocispec.Descriptor
	file   *os.File
	state  string // sidecar path
	budget *budget
	hasher *prefixHasher
	log    *slog.Logger

	// minSplit is the smallest range a split leaves on either side. It is
	// well above bufSize, which is what guarantees that a write in flight
	// never crosses into the half an idle connection just took.
	minSplit int64
	workers  int

	// gate is held shared around every write to the file and exclusively
	// while switching to one stream, so no write is in flight then.
	gate sync.RWMutex
	// wmu takes the file's writes in turn. The kernel does anyway (a
	// write holds the file's inode lock), but a connection waiting there
	// holds an OS thread, with its stacks, that the process keeps: 16
	// connections writing one blob grew it to 16 threads. Waiting here,
	// it parks.
	wmu sync.Mutex

	mu       sync.Mutex
	done     spanSet    // bytes written to the file
	segs     []*segment // work left, sorted by offset
	single   *segment   // the one stream, once the server ignored a Range
	unsynced int64      // bytes written since the last checkpoint

	pending  atomic.Int64 // bytes in segments no connection owns
	received atomic.Int64 // bytes that arrived over the network this run
	// answer is how long the blob's range requests take to answer (a
	// moving average, in nanoseconds; 0 before the first answer).
	answer atomic.Int64

	probed    chan struct{} // closed once the first response arrived
	probeOnce sync.Once
	// parallel is closed when the first connection proved slow (so more
	// connections pay off); alone when it proved fast or finished first.
	parallel, alone chan struct{}
	soloOnce        sync.Once
	decideOnce      sync.Once
	probeStart      time.Time
	// meter is the first connection's evidence for the probe (see
	// linkMeter), gathered until the decision.
	meter    linkMeter
	saveMu   sync.Mutex
	saveKick chan struct{}
	disk     *disk
}

func newBlobFetch(o *options, src RangeReader, d ocispec.Descriptor, file *os.File, statePath string, b *budget, disk *disk, st resumeState) *blobFetch {
	bf := &blobFetch{
		o: o, src: src, d: d, file: file, state: statePath, budget: b, disk: disk, log: o.log,
		hasher:   newPrefixHasher(file, d.Size, d.Digest.Algorithm(), st.h, st.hashed),
		done:     st.done,
		probed:   make(chan struct{}),
		parallel: make(chan struct{}),
		alone:    make(chan struct{}),
		saveKick: make(chan struct{}, 1),
		minSplit: max(o.chunk/16, minSplitFloor),
	}
	holes := st.done.holes(d.Size)
	var left int64
	for _, h := range holes {
		left += h.end - h.start
	}
	bf.workers = 1
	if d.Size >= o.threshold && left > bf.minSplit {
		bf.workers = int(min(int64(o.conns), (left+bf.minSplit-1)/bf.minSplit))
	}
	// Ranges of about an equal share per connection (but no larger than a
	// chunk), so every connection starts at once and the prefix the hash
	// follows fills from the front. One connection asks for each gap whole.
	chunk := max(bf.minSplit, min(o.chunk, (left+int64(bf.workers)-1)/int64(bf.workers)))
	if bf.workers == 1 {
		chunk = max(left, 1)
	}
	for _, h := range holes {
		for at := h.start; at < h.end; at += chunk {
			bf.segs = append(bf.segs, &segment{next: at, end: min(at+chunk, h.end)})
		}
	}
	bf.pending.Store(left)
	return bf
}

// run fetches every missing byte, then checks the digest. On failure the
// progress made is saved for the next run, unless the content was wrong.
func (b *blobFetch) run(ctx context.Context) error {
	// The first connection's slot first: while the host's connections
	// serve other blobs, a blob waiting for its turn costs this goroutine
	// alone, not a hasher, a saver and workers parked beside it.
	if err := b.budget.acquire(ctx, b.priority); err != nil {
		return err
	}
	first := b.take()
	if first == nil {
		b.budget.release() // nothing to fetch: the first worker finds that out
	}
	hctx, stopHash := context.WithCancel(ctx)
	defer stopHash()
	go b.hasher.run(hctx)
	b.hasher.advance(b.done.prefix())
	if have := b.done.total(); have > 0 {
		b.log.Debug("fetch: resuming", "digest", b.d.Digest, "have", have, "size", b.d.Size, "hashed", b.hasher.hashed())
		b.o.progress.Report(progress.Event{Kind: progress.Advanced, Descriptor: b.d, Bytes: have, Cached: true})
	}

	stopSaver := make(chan struct{})
	saverDone := make(chan struct{})
	go b.saver(stopSaver, saverDone)

	b.probeStart = time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return b.worker(gctx, true, first) })
	if b.workers > 1 {
		g.Go(func() error { return b.spawn(gctx, g) })
	}
	switch {
	case b.workers > 1 && b.o.stream.probe <= 0:
		b.decideNow() // no probe (see WithLinkProbe)
	case b.workers > 1:
		go b.probeLink(gctx)
	}
	err := g.Wait()
	close(stopSaver)
	<-saverDone

	if err == nil {
		b.mu.Lock()
		if got := b.done.prefix(); got != b.d.Size {
			err = fmt.Errorf("%s: internal error: fetched %d of %d bytes", b.d.Digest, got, b.d.Size)
		}
		b.mu.Unlock()
	}
	if err == nil {
		select {
		case <-b.hasher.done:
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	if err != nil {
		stopHash()
		<-b.hasher.done
		if !errors.Is(err, errdefs.ErrDigestMismatch) && !errors.Is(err, errdefs.ErrSizeMismatch) {
			if serr := b.checkpoint(); serr != nil {
				b.log.Debug("fetch: saving progress failed", "digest", b.d.Digest, "error", serr)
			}
		}
		return err
	}
	if b.hasher.err != nil {
		return permanent(b.hasher.err)
	}
	if got := b.hasher.digest(); got != b.d.Digest {
		return fmt.Errorf("fetching %s: %w: the content has digest %s", b.d.Digest, errdefs.ErrDigestMismatch, got)
	}
	if err := b.file.Sync(); err != nil {
		return permanent(fmt.Errorf("sync %s: %w", b.file.Name(), err))
	}
	b.log.Debug("fetch: complete", "digest", b.d.Digest, "size", b.d.Size, "received", b.received.Load())
	return nil
}

// probeLink decides, the probe window into the fetch, whether the other
// connections join the first (see decide), unless the first connection
// decided it sooner; while there is no evidence yet it looks again.
func (b *blobFetch) probeLink(ctx context.Context) {
	t := time.NewTimer(b.o.stream.probe)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-b.alone:
			return
		case <-b.parallel:
			return
		case <-ctx.Done():
			return
		}
		if b.decide() {
			return
		}
		t.Reset(max(b.o.stream.probe/4, 10*time.Millisecond))
	}
}

// decide settles, once, whether the blob is fetched over one connection or
// several: several only when the first delivers less than the fast-link
// bar per second of waiting on it (see linkMeter), since on a fast link
// extra connections add requests and CPU work but no speed, however busy
// the machine. Without evidence yet it decides nothing and reports false.
func (b *blobFetch) decide() bool {
	rate, ok := b.meter.rate(b.o.stream.probe)
	if !ok {
		return false
	}
	b.decideOnce.Do(func() {
		if rate < b.o.stream.fast {
			b.log.Debug("fetch: slow connection, adding parallel ranges", "digest", b.d.Digest, "rate", int64(rate))
			close(b.parallel)
			return
		}
		b.log.Debug("fetch: fast connection, one request for the blob", "digest", b.d.Digest, "rate", int64(rate))
		b.soloOnce.Do(func() { close(b.alone) })
	})
	return true
}

// decideNow settles the blob without a probe: ranges from the start when
// the fast-link bar is above 0, one connection when it is 0.
func (b *blobFetch) decideNow() {
	b.decideOnce.Do(func() {
		if b.o.stream.fast > 0 {
			close(b.parallel)
			return
		}
		b.soloOnce.Do(func() { close(b.alone) })
	})
}

// decided reports whether decide has settled the blob's connections.
func (b *blobFetch) decided() bool {
	settled, _ := b.settled()
	return settled
}

// slow reports whether the blob was settled on parallel connections (the
// link proved slow).
func (b *blobFetch) slow() bool {
	settled, alone := b.settled()
	return settled && !alone
}

// solo reports whether the blob was settled on one connection.
func (b *blobFetch) solo() bool {
	_, alone := b.settled()
	return alone
}

// settled reports whether the blob's connections are settled, and
// whether on one.
func (b *blobFetch) settled() (settled, alone bool) {
	select {
	case <-b.parallel:
		return true, false
	case <-b.alone:
		return true, true
	default:
		return false, false
	}
}

// priority is the budget priority of this blob's connections. A small
// blob (below the threshold, so fetched on one connection) comes first,
// the smallest first: it needs one request, and on a slow link it would
// otherwise wait behind every range of the large blobs (a 1.1 MiB layer
// waited 32 s for a connection it needed for 0.7 s). Among large blobs,
// the one with the most bytes nobody is fetching yet.
func (b *blobFetch) priority() int64 {
	if b.d.Size < b.o.threshold {
		return smallFirst - b.d.Size
	}
	return b.pending.Load()
}

// smallFirst lifts small blobs' priority above any large blob's pending
// bytes (a blob is far below 2^62 bytes).
const smallFirst = 1 << 62

// answered records how long a request took to answer.
func (b *blobFetch) answered(d time.Duration) {
	for {
		old := b.answer.Load()
		avg := int64(d)
		if old > 0 {
			avg = old + (int64(d)-old)/4
		}
		if b.answer.CompareAndSwap(old, avg) {
			return
		}
	}
}

// stealTime is how much longer a range's owner must need before the range
// is split (see stealWaits).
func (b *blobFetch) stealTime() time.Duration {
	return max(minStealTime, stealWaits*time.Duration(b.answer.Load()))
}

// take hands a connection its next range: the lowest one nobody owns, so
// the contiguous prefix (and the hash) keeps up; failing that, the back
// half of the largest range in flight; nil when nothing is left worth
// splitting.
func (b *blobFetch) take() *segment {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.single != nil {
		if b.single.owned || b.single.next >= b.single.end {
			return nil
		}
		b.single.owned = true
		return b.single
	}
	now := time.Now()
	solo := b.solo()
	for i, s := range b.segs {
		if !s.owned {
			return b.claimAt(i, now, solo)
		}
	}
	vi := -1
	for i, s := range b.segs {
		if vi < 0 || s.end-s.next > b.segs[vi].end-b.segs[vi].next {
			vi = i
		}
	}
	if vi < 0 {
		return nil
	}
	v := b.segs[vi]
	if v.end-v.next < 2*b.minSplit || !v.worthSplitting(now, b.stealTime()) {
		return nil
	}
	mid := v.next + (v.end-v.next)/2
	s := &segment{next: mid, end: v.end, owned: true, since: now, from: mid}
	v.end = mid
	b.segs = slices.Insert(b.segs, vi+1, s)
	return s
}

// giveBack returns an unfinished range to the pool after its connection
// failed, for any connection to pick up from its last byte.
func (b *blobFetch) giveBack(s *segment) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !s.owned || s.dead {
		return
	}
	s.owned = false
	if s.next < s.end && s != b.single {
		b.pending.Add(s.end - s.next)
	}
}

// request is the range to ask for to fill s: closed ranges for a blob
// split across connections; the rest of the blob for a single stream (no
// Range header at all when that is the whole blob) and for the first
// connection while the probe has not decided (it carries on into the
// next ranges: see extend).
func (b *blobFetch) request(s *segment, probing bool) (off, n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case s == b.single || (b.workers == 1 && s.end == b.d.Size):
		return s.next, -1
	case probing:
		// A closed range all the same: a server that ignores ranges
		// shows it on this first answer (see goSingle).
		return s.next, b.d.Size - s.next
	}
	return s.next, s.end - s.next
}

// extend gives the connection that just completed s, on a request open to
// the blob's end, the range that follows s when nobody owns it (with the
// whole unowned run after it once the blob is settled on one connection),
// so the same response body carries on: on a fast link one request
// fetches the blob. It returns nil when that range is taken, or the blob
// is settled on parallel ranges (each connection then keeps to closed
// ones).
func (b *blobFetch) extend(s *segment) *segment {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s.dead || b.single != nil || !b.solo() && b.decided() {
		return nil // settled on ranges: each connection keeps to its own
	}
	for i, x := range b.segs {
		if x.next == s.end && !x.owned && x.next < x.end {
			return b.claimAt(i, time.Now(), b.solo())
		}
	}
	return nil
}

// claimAt gives segment i to the calling connection; on one connection
// (solo) it takes the whole unowned run from there, for one request.
// b.mu is held.
func (b *blobFetch) claimAt(i int, now time.Time, solo bool) *segment {
	s := b.segs[i]
	s.owned, s.since, s.from = true, now, s.next
	if solo {
		j := i + 1
		for j < len(b.segs) && !b.segs[j].owned && b.segs[j].next == s.end {
			s.end = b.segs[j].end
			j++
		}
		b.segs = slices.Delete(b.segs, i+1, j)
	}
	b.pending.Add(-(s.end - s.next))
	return s
}

// goSingle switches the blob to one stream after s's request came back
// whole although it asked for a range: s becomes the stream, every other
// range is dropped, and the bytes past the contiguous prefix will be
// written again. It returns the offset to start writing at (the body's
// bytes before it are already on disk and read past), and false when
// another connection already became the stream.
func (b *blobFetch) goSingle(s *segment) (int64, bool) {
	b.gate.Lock()
	defer b.gate.Unlock()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.single != nil {
		return s.next, b.single == s
	}
	p := b.done.prefix()
	for _, x := range b.segs {
		if x != s {
			x.dead = true
		}
	}
	b.done = b.done.truncate(p)
	s.next, s.end, s.owned = p, b.d.Size, true
	b.segs = []*segment{s}
	b.single = s
	b.pending.Store(0)
	b.log.Debug("fetch: the server ignores byte ranges; continuing on one connection", "digest", b.d.Digest, "from", p)
	return p, true
}

// errSuperseded ends a connection whose range was dropped by a switch to
// one stream.
var errSuperseded = errors.New("range superseded by a single stream")

// write stores p at s's next offset, as much of it as s still covers, and
// reports the bytes written and whether s is complete.
func (b *blobFetch) write(s *segment, p []byte) (int64, bool, error) {
	b.gate.RLock()
	defer b.gate.RUnlock()
	b.mu.Lock()
	if s.dead {
		b.mu.Unlock()
		return 0, false, errSuperseded
	}
	off := s.next
	k := min(int64(len(p)), s.end-off)
	b.mu.Unlock()
	if k > 0 {
		b.wmu.Lock()
		_, err := b.file.WriteAt(p[:k], off)
		b.wmu.Unlock()
		if err != nil {
			return 0, false, permanent(fmt.Errorf("writing %s: %w", b.file.Name(), err))
		}
	}
	b.mu.Lock()
	s.next += k
	b.done = b.done.add(off, off+k)
	prefix := b.done.prefix()
	full := s.next >= s.end
	if full {
		if i := slices.Index(b.segs, s); i >= 0 {
			b.segs = slices.Delete(b.segs, i, i+1)
		}
	}
	b.unsynced += k
	save := b.unsynced >= b.o.checkpointBytes
	b.mu.Unlock()

	b.received.Add(k)
	if k > 0 && off < prefix {
		b.hasher.offer(off, p[:k])
	}
	b.hasher.advance(prefix)
	if k > 0 {
		b.o.progress.Report(progress.Event{Kind: progress.Advanced, Descriptor: b.d, Bytes: k})
	}
	if save {
		select {
		case b.saveKick <- struct{}{}:
		default:
		}
	}
	return k, full, nil
}

// saver checkpoints every interval while bytes arrive, and whenever a
// writer says enough bytes piled up, until stop is closed.
func (b *blobFetch) saver(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(b.o.checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		case <-b.saveKick:
		}
		if err := b.checkpoint(); err != nil {
			b.log.Debug("fetch: saving progress failed", "digest", b.d.Digest, "error", err)
		}
	}
}

// checkpoint makes the progress so far durable: it fsyncs the partial file
// and only then records, in the sidecar, the ranges written before the
// fsync and the hash state of a prefix of them. A crash at any point
// leaves either the old sidecar or the new one, and both describe bytes
// that are on disk.
func (b *blobFetch) checkpoint() error {
	b.saveMu.Lock()
	defer b.saveMu.Unlock()
	// Hash state first: the prefix it covers is within the ranges taken
	// next, which only grow.
	hashed, state := b.hasher.snapshot()
	b.mu.Lock()
	if b.unsynced == 0 {
		b.mu.Unlock()
		return nil
	}
	done := slices.Clone(b.done)
	b.unsynced = 0
	b.mu.Unlock()
	if hashed > done.prefix() {
		// Only after a switch to one stream dropped ranges; do not
		// claim a hash of bytes the sidecar does not list.
		hashed, state = 0, nil
	}
	return b.disk.synced(func() error {
		if err := b.file.Sync(); err != nil {
			return fmt.Errorf("sync %s: %w", b.file.Name(), err)
		}
		return writeSidecar(b.state, newSidecar(b.d, done, hashed, state))
	})
}
