package display

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/ferrytool/ferry/progress"
)

// Plain writes lines for CI logs, where redrawn bars are noise: skopeo's
// status lines (Getting image source signatures, Copying blob sha256:...,
// Copying config sha256:..., Writing manifest to image destination,
// Storing signatures, and their index forms), a line per blob copied or
// failed, a progress line every interval while blobs move, a line every
// interval while a destination commits (the Docker daemon importing an
// image), and a summary.
type Plain struct {
	w        io.Writer
	t        *tracker
	mu       sync.Mutex
	stop     chan struct{}
	wg       sync.WaitGroup
	interval time.Duration
}

// NewPlain starts a plain reporter; interval <= 0 means every 10 seconds.
func NewPlain(w io.Writer, interval time.Duration) *Plain {
	if interval <= 0 {
		interval = 10 * time.Second
	}
	p := &Plain{w: w, t: newTracker(), stop: make(chan struct{}), interval: interval}
	p.wg.Add(1)
	go p.loop()
	return p
}

// Report implements progress.Reporter.
func (p *Plain) Report(e progress.Event) {
	if e.Kind.IsImage() {
		p.t.image(e)
		line := imageLine(e)
		if e.Kind == progress.ImageStep && e.Step != progress.StepCommit {
			// A commit is news only when it takes long: tick says so.
			line = stepLine(e)
		}
		if line != "" {
			p.println(line)
		}
		return
	}
	before, b := p.t.update(e)
	var line string
	switch e.Kind {
	case progress.Started:
		line = copyingLine(e.Descriptor)
	case progress.Skipped:
		if before.state == progress.Done {
			return // moved earlier in this run: not "present" news
		}
		line = copyingLine(e.Descriptor)
	case progress.Done:
		line = doneLine(b, time.Since(b.started))
	case progress.Failed:
		line = fmt.Sprintf("Failed blob %s: %v", shortDigest(b.d), e.Err)
	default:
		return
	}
	p.println(line)
}

func (p *Plain) println(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(p.w, s)
}

func (p *Plain) loop() {
	defer p.wg.Done()
	tick := time.NewTicker(p.interval)
	defer tick.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-tick.C:
			p.tick()
		}
	}
}

// tick writes the periodic lines: the transfer's progress, and each
// destination still committing.
func (p *Plain) tick() {
	s := p.t.snapshot()
	if s.active > 0 {
		p.println("Progress: " + totalLine(s))
	}
	now := p.t.now()
	for _, c := range s.commits {
		p.println(commitLine(c, now.Sub(c.since)))
	}
}

// Close stops the reporter and writes the final summary.
func (p *Plain) Close() {
	close(p.stop)
	p.wg.Wait()
	s := p.t.snapshot()
	if !s.anyFinished() {
		return
	}
	p.println(summaryLine(s))
}
