// Package display renders progress events for people and tools: redrawn
// bars on a terminal, plain lines for CI logs, JSON lines for programs.
// Every renderer writes only to the writer it is given (the CLI passes
// stderr), so results on stdout are never mixed with progress.
package display

import (
	"sort"
	"sync"
	"time"

	"github.com/ferrytool/ferry/progress"
	"github.com/opencontainers/go-digest"
)

// blobState is what the tracker knows of one blob.
type blobState struct {
	d         digest.Digest
	mediaType string
	size      int64
	done      int64 // bytes of it in place: read, reused from the cache, or present
	cached    int64 // of which reused from the blob cache
	state     progress.Kind
	started   time.Time
	order     int
}

// commitState is an image whose destination is committing.
type commitState struct {
	dest  string
	since time.Time
}

// tracker aggregates events; renderers read snapshots of it. Bytes fall
// in three classes: transferred (read from the source: over the network
// for a registry), reused from ferry's blob cache, and already present at
// the destination.
type tracker struct {
	mu       sync.Mutex
	blobs    map[digest.Digest]*blobState
	n        int
	start    time.Time
	net      int64 // bytes read from the source
	cached   int64 // bytes reused from the blob cache
	firstNet time.Time
	rate     float64
	lastAt   time.Time
	lastNet  int64
	commits  map[string]commitState
	now      func() time.Time
}

func newTracker() *tracker {
	return &tracker{blobs: map[digest.Digest]*blobState{}, commits: map[string]commitState{}, start: time.Now(), now: time.Now}
}

// update applies a blob event and returns the blob's state before and
// after it.
func (t *tracker) update(e progress.Event) (before, after blobState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b, ok := t.blobs[e.Descriptor.Digest]
	if !ok && e.Descriptor.Digest != "" && (e.Kind == progress.Done || e.Kind == progress.Failed) {
		// A blob streamed without a known digest started as "" and ends
		// under the digest it turned out to have.
		if u, found := t.blobs[""]; found && u.state == progress.Started {
			delete(t.blobs, "")
			u.d = e.Descriptor.Digest
			t.blobs[u.d] = u
			b, ok = u, true
		}
	}
	if !ok {
		b = &blobState{d: e.Descriptor.Digest, mediaType: e.Descriptor.MediaType, size: e.Descriptor.Size,
			started: t.now(), order: t.n, state: progress.Queued}
		t.n++
		t.blobs[b.d] = b
	}
	before = *b
	switch e.Kind {
	case progress.Started:
		b.state, b.done, b.cached, b.started = progress.Started, 0, 0, t.now()
	case progress.Advanced:
		b.state = progress.Started
		b.done += e.Bytes
		if e.Cached {
			b.cached += e.Bytes
			t.cached += e.Bytes
		} else {
			if t.net == 0 {
				t.firstNet = t.now()
			}
			t.net += e.Bytes
		}
	case progress.Skipped:
		if b.state == progress.Done {
			break // copied earlier in this run (a stream copy checks again after)
		}
		b.state, b.done = progress.Skipped, b.size
	case progress.Done:
		b.state = progress.Done
		if e.Bytes > 0 {
			b.size = e.Bytes
		}
		b.done = b.size
	case progress.Failed:
		b.state = progress.Failed
	}
	return before, *b
}

// image applies an image event: it tracks the destinations committing.
func (t *tracker) image(e progress.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case e.Kind == progress.ImageStep && e.Step == progress.StepCommit:
		t.commits[e.Image] = commitState{dest: e.Detail, since: t.now()}
	case e.Kind == progress.ImageDone, e.Kind == progress.ImageFailed, e.Kind == progress.ImageSkipped:
		delete(t.commits, e.Image)
	}
}

// summary is a point-in-time view of the whole transfer.
type summary struct {
	blobs, done, skipped, active int
	total, have                  int64   // bytes known and bytes in place
	doneBytes                    int64   // size of the blobs copied
	net, cached, present         int64   // the three classes
	rate                         float64 // bytes/s read from the source, smoothed
	elapsed                      time.Duration
	activeBlobs                  []blobState
	commits                      []commitState
}

// anyFinished says whether a blob was copied or found present: a copy that
// failed before any did gets no summary ("Copied 0 blobs" above the error
// would say a copy happened).
func (s summary) anyFinished() bool { return s.done > 0 || s.skipped > 0 }

// snapshot returns the summary and updates the smoothed rate.
func (t *tracker) snapshot() summary {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.updateRate(now)
	s := summary{blobs: len(t.blobs), net: t.net, cached: t.cached, rate: t.rate, elapsed: now.Sub(t.start)}
	for _, b := range t.blobs {
		if b.size > 0 {
			s.total += b.size
		}
		s.have += b.done
		switch b.state {
		case progress.Done:
			s.done++
			s.doneBytes += b.size
		case progress.Skipped:
			s.skipped++
			s.present += max(b.size, 0)
		case progress.Started:
			s.active++
			s.activeBlobs = append(s.activeBlobs, *b)
		}
	}
	sort.Slice(s.activeBlobs, func(i, j int) bool { return s.activeBlobs[i].order < s.activeBlobs[j].order })
	for _, c := range t.commits {
		s.commits = append(s.commits, c)
	}
	sort.Slice(s.commits, func(i, j int) bool { return s.commits[i].dest < s.commits[j].dest })
	return s
}

// minRateWindow keeps the first rate, taken over the time since the first
// byte arrived, from being a burst divided by almost nothing.
const minRateWindow = 250 * time.Millisecond

// updateRate smooths the rate of bytes read from the source. The first
// snapshot after bytes arrive already has one: their average since the
// first of them, so no line says 0 B/s while data flows.
func (t *tracker) updateRate(now time.Time) {
	if t.net == 0 {
		return
	}
	if t.rate == 0 {
		t.rate = float64(t.net) / max(now.Sub(t.firstNet), minRateWindow).Seconds()
		t.lastAt, t.lastNet = now, t.net
		return
	}
	dt := now.Sub(t.lastAt).Seconds()
	if dt < 0.05 {
		return
	}
	t.rate = 0.7*t.rate + 0.3*float64(t.net-t.lastNet)/dt
	t.lastAt, t.lastNet = now, t.net
}

// eta estimates the time left, 0 when unknown.
func (s summary) eta() time.Duration {
	if s.rate <= 0 || s.total <= s.have {
		return 0
	}
	return time.Duration(float64(s.total-s.have) / s.rate * float64(time.Second))
}
