package display

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/ferrytool/ferry/progress"
)

// Bars redraws a bar per active blob and a total line with speed and ETA,
// for a terminal. Finished blobs scroll up as permanent lines.
type Bars struct {
	w     io.Writer
	t     *tracker
	mu    sync.Mutex
	drawn int      // lines of the live area on screen
	done  []string // finished lines to print above the live area
	stop  chan struct{}
	wg    sync.WaitGroup
	width int
}

// maxBars bounds the live area; further active blobs are summed in the total.
const maxBars = 8

// NewBars starts a terminal reporter redrawing every 150 ms.
func NewBars(w io.Writer) *Bars {
	b := &Bars{w: w, t: newTracker(), stop: make(chan struct{}), width: 30}
	b.wg.Add(1)
	go b.loop()
	return b
}

// Report implements progress.Reporter.
func (b *Bars) Report(e progress.Event) {
	if e.Kind.IsImage() {
		if line := imageLine(e); line != "" {
			b.mu.Lock()
			b.done = append(b.done, line)
			b.mu.Unlock()
		}
		return
	}
	st := b.t.update(e)
	var line string
	switch e.Kind {
	case progress.Skipped:
		line = fmt.Sprintf("%s  already present", shortDigest(st.d))
	case progress.Done:
		line = fmt.Sprintf("%s  done %s", shortDigest(st.d), bytesHuman(st.size))
	case progress.Failed:
		line = fmt.Sprintf("%s  failed: %v", shortDigest(st.d), e.Err)
	default:
		return
	}
	b.mu.Lock()
	b.done = append(b.done, line)
	b.mu.Unlock()
}

func (b *Bars) loop() {
	defer b.wg.Done()
	tick := time.NewTicker(150 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-tick.C:
			b.draw(false)
		}
	}
}

// draw repaints the live area: cursor up over the old one, finished lines,
// then the bars and the total.
func (b *Bars) draw(final bool) {
	s := b.t.snapshot()
	b.mu.Lock()
	defer b.mu.Unlock()
	var sb strings.Builder
	if b.drawn > 0 {
		fmt.Fprintf(&sb, "\x1b[%dA", b.drawn)
	}
	for _, l := range b.done {
		sb.WriteString("\x1b[2K" + l + "\n")
	}
	b.done = b.done[:0]
	lines := 0
	if !final {
		for i, a := range s.activeBlobs {
			if i == maxBars {
				break
			}
			sb.WriteString("\x1b[2K" + b.barLine(shortDigest(a.d), a.done, a.size) + "\n")
			lines++
		}
	}
	if s.blobs > 0 {
		total := b.barLine("total       ", s.have, s.total) + fmt.Sprintf("  %s/s  ETA %s", bytesHuman(int64(s.rate)), durationHuman(s.eta()))
		if final {
			total = fmt.Sprintf("Copied %d blobs (%s) in %s, %d already present", s.done, bytesHuman(s.moved), durationHuman(s.elapsed), s.skipped)
		}
		sb.WriteString("\x1b[2K" + total + "\n")
		lines++
	}
	for i := lines; i < b.drawn; i++ { // clear what the previous frame left below
		sb.WriteString("\x1b[2K\n")
	}
	if extra := b.drawn - lines; extra > 0 {
		fmt.Fprintf(&sb, "\x1b[%dA", extra)
	}
	b.drawn = lines
	io.WriteString(b.w, sb.String())
}

func (b *Bars) barLine(label string, done, size int64) string {
	if size <= 0 {
		return fmt.Sprintf("%s [%s] %s", label, strings.Repeat("?", b.width), bytesHuman(done))
	}
	frac := min(float64(done)/float64(size), 1)
	n := int(frac * float64(b.width))
	bar := strings.Repeat("=", n)
	if n < b.width {
		bar += ">" + strings.Repeat(" ", b.width-n-1)
	}
	return fmt.Sprintf("%s [%s] %3d%% %s / %s", label, bar, int(frac*100), bytesHuman(done), bytesHuman(size))
}

// Close stops redrawing and leaves a final summary line.
func (b *Bars) Close() {
	close(b.stop)
	b.wg.Wait()
	b.draw(true)
}
