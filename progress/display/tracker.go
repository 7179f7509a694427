// Package display renders progress events for people and tools: redrawn
// bars on a terminal, plain lines for CI logs, JSON lines for programs.
// Every renderer writes only to the writer it is given (the CLI passes
// stderr), so results on stdout are never mixed with progress.
package display

import (
	"sync"
	"time"

	"github.com/ferrytool/ferry/progress"
	"github.com/opencontainers/go-digest"
)

// blobState is what the tracker knows of one blob.
type blobState struct {
	d       digest.Digest
	size    int64
	done    int64
	state   progress.Kind
	started time.Time
	order   int
}

// tracker aggregates events; renderers read snapshots of it.
type tracker struct {
	mu      sync.Mutex
	blobs   map[digest.Digest]*blobState
	n       int
	start   time.Time
	moved   int64 // bytes transferred (not skipped)
	rate    float64
	lastAt  time.Time
	lastMov int64
	now     func() time.Time
}

func newTracker() *tracker {
	return &tracker{blobs: map[digest.Digest]*blobState{}, start: time.Now(), now: time.Now}
}

// update applies an event and returns the blob's state after it.
func (t *tracker) update(e progress.Event) blobState {
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
		b = &blobState{d: e.Descriptor.Digest, size: e.Descriptor.Size, started: t.now(), order: t.n}
		t.n++
		t.blobs[b.d] = b
	}
	switch e.Kind {
	case progress.Started:
		b.state, b.done = progress.Started, 0
	case progress.Advanced:
		b.state = progress.Started
		b.done += e.Bytes
		t.moved += e.Bytes
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
	return *b
}

// summary is a point-in-time view of the whole transfer.
type summary struct {
	blobs, done, skipped, active int
	total, have                  int64 // bytes known and bytes present (moved or skipped)
	moved                        int64
	rate                         float64 // bytes/s, smoothed
	elapsed                      time.Duration
	activeBlobs                  []blobState
}

// snapshot returns the summary and updates the smoothed rate.
func (t *tracker) snapshot() summary {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if dt := now.Sub(t.lastAt).Seconds(); !t.lastAt.IsZero() && dt > 0.05 {
		inst := float64(t.moved-t.lastMov) / dt
		if t.rate == 0 {
			t.rate = inst
		} else {
			t.rate = 0.7*t.rate + 0.3*inst
		}
	}
	if now.Sub(t.lastAt) > 50*time.Millisecond {
		t.lastAt, t.lastMov = now, t.moved
	}
	s := summary{blobs: len(t.blobs), moved: t.moved, rate: t.rate, elapsed: now.Sub(t.start)}
	for _, b := range t.blobs {
		if b.size > 0 {
			s.total += b.size
		}
		s.have += b.done
		switch b.state {
		case progress.Done:
			s.done++
		case progress.Skipped:
			s.skipped++
		case progress.Started:
			s.active++
			s.activeBlobs = append(s.activeBlobs, *b)
		}
	}
	sortByOrder(s.activeBlobs)
	return s
}

func sortByOrder(bs []blobState) {
	for i := 1; i < len(bs); i++ {
		for j := i; j > 0 && bs[j].order < bs[j-1].order; j-- {
			bs[j], bs[j-1] = bs[j-1], bs[j]
		}
	}
}

// eta estimates the time left, 0 when unknown.
func (s summary) eta() time.Duration {
	if s.rate <= 0 || s.total <= s.have {
		return 0
	}
	return time.Duration(float64(s.total-s.have) / s.rate * float64(time.Second))
}
