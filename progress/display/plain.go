package display

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/ferrytool/ferry/progress"
)

// Plain writes a line per blob start and finish and, while transfers run, a
// summary every interval: readable in CI logs, where redrawn bars are noise.
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
		if line := imageLine(e); line != "" {
			p.println(line)
		}
		return
	}
	b := p.t.update(e)
	var line string
	switch e.Kind {
	case progress.Started:
		line = fmt.Sprintf("Copying blob %s (%s)", shortDigest(b.d), sizeOrUnknown(b.size))
	case progress.Skipped:
		line = fmt.Sprintf("Skipping blob %s (already present)", shortDigest(b.d))
	case progress.Done:
		line = fmt.Sprintf("Copied blob %s (%s in %s)", shortDigest(b.d), bytesHuman(b.size), durationHuman(time.Since(b.started)))
	case progress.Failed:
		line = fmt.Sprintf("Failed blob %s: %v", shortDigest(b.d), e.Err)
	default:
		return
	}
	p.println(line)
}

func sizeOrUnknown(n int64) string {
	if n < 0 {
		return "size unknown"
	}
	return bytesHuman(n)
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
			if s := p.t.snapshot(); s.active > 0 {
				p.println(fmt.Sprintf("Progress: %s", totalLine(s)))
			}
		}
	}
}

// Close stops the reporter and writes the final summary.
func (p *Plain) Close() {
	close(p.stop)
	p.wg.Wait()
	s := p.t.snapshot()
	if s.blobs == 0 {
		return
	}
	p.println(fmt.Sprintf("Copied %d blobs (%s) in %s, %d already present",
		s.done, bytesHuman(s.moved), durationHuman(s.elapsed), s.skipped))
}

// totalLine renders "120.0 MiB / 1.0 GiB (12%), 15.2 MiB/s, ETA 58s".
func totalLine(s summary) string {
	pct := 0
	if s.total > 0 {
		pct = int(100 * s.have / s.total)
	}
	return fmt.Sprintf("%s / %s (%d%%), %s/s, ETA %s",
		bytesHuman(s.have), bytesHuman(s.total), pct, bytesHuman(int64(s.rate)), durationHuman(s.eta()))
}
