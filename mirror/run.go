package mirror

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/progress"
	"github.com/ferrytool/ferry/transport"
)

// FailedError is Run's error when KeepGoing let the sync finish with
// failures; each is in the Summary's Results.
type FailedError struct {
	Failed int
}

// Error words it as skopeo does.
func (e *FailedError) Error() string {
	return "Sync failed due to previous reported error(s) for one or more images"
}

// Run copies the plan's images, Options.Images at a time, every copy
// sharing one transfer limit (Options.Transfers) and the registry
// sessions of the docker configurations' Pool. Results reach OnResult in
// plan order. Without KeepGoing the first failure stops the copies not
// yet finished and is returned; with it, every image is tried and a
// *FailedError says some failed.
func (p *Plan) Run(ctx context.Context) (*Summary, error) {
	o := &p.o
	if err := p.prepareDestination(ctx); err != nil {
		return nil, err
	}
	defer p.oci.save(ctx, o.log())
	images := o.Images
	if images <= 0 {
		images = DefaultImages
	}
	transfers := o.Transfers
	if transfers <= 0 {
		transfers = max(6, 2*images)
	}
	limiter := copier.NewLimiter(transfers)
	copySlots := make(chan struct{}, images)
	workers := max(images, checkParallel)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	sum := &Summary{}
	for _, r := range p.Failed {
		p.emit(sum, r)
	}
	seq := newSequencer(len(p.Images), func(r Result) { p.emit(sum, r) })
	var firstErr error
	var errOnce sync.Once
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, len(p.Images)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if ctx.Err() != nil {
					continue // stopped by a failure: not tried
				}
				r := p.one(ctx, &p.Images[i], limiter, copySlots)
				if r.Status == Failed && !o.KeepGoing {
					errOnce.Do(func() {
						firstErr = fmt.Errorf("copying %s: %w", r.Source, r.Err)
						cancel()
					})
				}
				seq.put(i, r)
			}
		}()
	}
	for i := range p.Images {
		if ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	seq.flush()
	if firstErr != nil {
		return sum, firstErr
	}
	if err := ctx.Err(); err != nil {
		return sum, err
	}
	if sum.Failed > 0 {
		return sum, &FailedError{Failed: sum.Failed}
	}
	return sum, nil
}

func (p *Plan) emit(sum *Summary, r Result) {
	sum.add(r)
	if p.o.OnResult != nil {
		p.o.OnResult(r)
	}
}

// checkParallel is how many images are checked for being unchanged at
// once: a HEAD on each side, cheap for the registries, and on a slow link
// the latency of a no-op re-sync is what decides its time.
const checkParallel = 16

// one copies one image, unless the destination already holds it. The
// check runs at once; the copy waits for one of the copy slots.
func (p *Plan) one(ctx context.Context, img *Image, limiter *copier.Limiter, slots chan struct{}) Result {
	o := &p.o
	r := Result{Source: transport.FullName(img.Source), Destination: transport.FullName(img.Destination), Repository: img.Repository}
	if o.OnStart != nil {
		o.OnStart(*img)
	}
	srcDigest, dstDigest, skip := p.unchanged(ctx, img)
	if skip {
		r.Status, r.Digest = Skipped, dstDigest
		if rep := o.Copy.Progress; rep != nil {
			rep.Report(progress.Event{Kind: progress.ImageStarted, Image: r.Source})
			rep.Report(progress.Event{Kind: progress.ImageSkipped, Image: r.Source})
		}
		return p.attached(ctx, img, r, nil, limiter)
	}
	select {
	case slots <- struct{}{}:
		defer func() { <-slots }()
	case <-ctx.Done():
		return failedResult(img.Repository, r.Source, ctx.Err())
	}
	copts := o.Copy
	copts.Limiter = limiter
	copts.Label = r.Source
	copts.SkipExisting = !o.NoSkip
	counter := &byteCounter{next: o.Copy.Progress}
	copts.Progress = counter
	res, err := copier.Copy(ctx, img.Source, img.Destination, copts)
	r.Bytes = counter.n.Load()
	if err != nil {
		f := failedResult(img.Repository, r.Source, err)
		f.Destination, f.Bytes = r.Destination, r.Bytes
		return f
	}
	r.Status, r.Digest = Copied, res.Digest
	if res.Skipped {
		r.Status = Skipped
	}
	p.oci.record(img.Destination, srcDigest, res.Digest)
	return p.attached(ctx, img, r, res.Manifest, limiter)
}

// byteCounter counts the blob bytes one copy moves, passing every event on.
type byteCounter struct {
	next progress.Reporter
	n    atomic.Int64
}

func (c *byteCounter) Report(e progress.Event) {
	if e.Kind == progress.Done {
		c.n.Add(e.Bytes)
	}
	if c.next != nil {
		c.next.Report(e)
	}
}

// sequencer hands results out in plan order as they complete in any order.
type sequencer struct {
	mu   sync.Mutex
	next int
	done []*Result
	out  func(Result)
}

func newSequencer(n int, out func(Result)) *sequencer {
	return &sequencer{done: make([]*Result, n), out: out}
}

func (s *sequencer) put(i int, r Result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done[i] = &r
	for s.next < len(s.done) && s.done[s.next] != nil {
		s.out(*s.done[s.next])
		s.next++
	}
}

// flush hands out what completed after a gap left by images not tried.
func (s *sequencer) flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ; s.next < len(s.done); s.next++ {
		if r := s.done[s.next]; r != nil {
			s.out(*r)
		}
	}
}
