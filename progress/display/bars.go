package display

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ferrytool/ferry/progress"
)

// Bars redraws a bar per active blob and a total line with speed and ETA,
// for a terminal. Finished blobs scroll up as permanent lines. Every live
// line fits the terminal's width, asked at each redraw, so none wraps and
// a redraw moves up over exactly what the last one drew.
type Bars struct {
	w      io.Writer
	t      *tracker
	width  func() int
	resize <-chan struct{}
	stop   chan struct{}
	wg     sync.WaitGroup

	mu     sync.Mutex
	drawn  []int    // widths of the live lines on screen
	drawnW int      // the terminal width they were drawn at
	done   []string // finished lines to print above the live area
	frame  int
}

// BarsOption configures Bars.
type BarsOption func(*Bars)

// WithWidth gives the terminal's width in columns, asked at every redraw
// (a result <= 0 means unknown: 80 is assumed).
func WithWidth(f func() int) BarsOption { return func(b *Bars) { b.width = f } }

// WithResize redraws at once whenever c receives (the CLI sends on
// SIGWINCH), so a narrowed terminal gets lines that fit without waiting
// for the next tick.
func WithResize(c <-chan struct{}) BarsOption { return func(b *Bars) { b.resize = c } }

// maxBars bounds the live area; further active blobs are counted on a line.
const maxBars = 8

// defaultWidth is assumed when the terminal does not say.
const defaultWidth = 80

// NewBars starts a terminal reporter redrawing every 150 ms.
func NewBars(w io.Writer, opts ...BarsOption) *Bars {
	b := &Bars{w: w, t: newTracker(), stop: make(chan struct{})}
	for _, o := range opts {
		o(b)
	}
	b.wg.Add(1)
	go b.loop()
	return b
}

// Report implements progress.Reporter.
func (b *Bars) Report(e progress.Event) {
	if e.Kind.IsImage() {
		b.t.image(e)
		if line := imageLine(e); line != "" {
			b.addDone(line)
		}
		return
	}
	before, st := b.t.update(e)
	switch e.Kind {
	case progress.Skipped:
		if before.state != progress.Done {
			b.addDone(fmt.Sprintf("%s  already present", shortDigest(st.d)))
		}
	case progress.Done:
		b.addDone(doneLine(st, time.Since(st.started)))
	case progress.Failed:
		b.addDone(fmt.Sprintf("%s  failed: %v", shortDigest(st.d), e.Err))
	}
}

func (b *Bars) addDone(line string) {
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
		case <-b.resize:
		}
		b.draw(false)
	}
}

// cols is the terminal's width now.
func (b *Bars) cols() int {
	if b.width != nil {
		if w := b.width(); w > 0 {
			return w
		}
	}
	return defaultWidth
}

// draw repaints: up over the live area, clear to the end of the screen,
// the finished lines, then the bars, commits in progress and the total
// (the summary instead when final).
func (b *Bars) draw(final bool) {
	s := b.t.snapshot()
	cols := b.cols()
	b.mu.Lock()
	defer b.mu.Unlock()
	var sb strings.Builder
	if rows := b.liveRows(cols); rows > 0 {
		fmt.Fprintf(&sb, "\r\x1b[%dA", rows)
	}
	sb.WriteString("\x1b[J")
	for _, l := range b.done {
		sb.WriteString(l + "\n")
	}
	b.done = b.done[:0]
	var live []string
	if final {
		if s.anyFinished() {
			sb.WriteString(summaryLine(s) + "\n")
		}
	} else {
		live = b.liveLines(s, cols-1)
	}
	b.drawn, b.drawnW = b.drawn[:0], cols
	for _, l := range live {
		sb.WriteString(l + "\n")
		b.drawn = append(b.drawn, utf8.RuneCountInString(l))
	}
	b.frame++
	io.WriteString(b.w, sb.String())
}

// liveRows is how many terminal rows the live area drawn last takes at
// width cols: one per line while the terminal is as wide as it was; after
// a terminal narrowed, as many as its lines rewrapped to the new width
// take (terminals reflow on resize).
func (b *Bars) liveRows(cols int) int {
	rows := 0
	for _, n := range b.drawn {
		if cols >= b.drawnW || n <= cols {
			rows++
		} else {
			rows += (n + cols - 1) / cols
		}
	}
	return rows
}

// liveLines are the live area's lines, none wider than width, their bars
// of one length: as long as the total line leaves room for, up to 50.
func (b *Bars) liveLines(s summary, width int) []string {
	var tail string
	showTotal := s.total > 0 && (s.active > 0 || s.have < s.total)
	if showTotal {
		tail = fmt.Sprintf("  %s  ETA %s", rateHuman(s.rate), durationHuman(s.eta()))
	}
	room := min(width-labelWidth-numsWidth-3-utf8.RuneCountInString(tail), 50)
	var lines []string
	for i, a := range s.activeBlobs {
		if i == maxBars {
			lines = append(lines, fit(fmt.Sprintf("... and %d more", len(s.activeBlobs)-maxBars), width))
			break
		}
		lines = append(lines, barLine(shortDigest(a.d), a.done, a.size, "", room, width))
	}
	spin := `|/-\`[b.frame%4]
	now := b.t.now()
	for _, c := range s.commits {
		lines = append(lines, fit(string(spin)+" "+commitLine(c, now.Sub(c.since)), width))
	}
	if showTotal && room < 10 {
		// Narrow: the rate and ETA matter more than the byte counts.
		lines = append(lines, fit(fmt.Sprintf("%-*s%3d%%  %s  ETA %s", labelWidth, "total",
			int(100*min(float64(s.have)/float64(s.total), 1)), rateHuman(s.rate), durationHuman(s.eta())), width))
	} else if showTotal {
		lines = append(lines, barLine("total", s.have, s.total, tail, room, width))
	}
	return lines
}

// Column widths of a bar line's label and numbers.
const (
	labelWidth = 13
	numsWidth  = 27
)

// barLine is "label [=====>    ]  50%   1.0 MiB / 2.0 MiB" plus tail, with
// a bar of room columns; without the bar when room is under 10, and cut to
// width when even that does not fit.
func barLine(label string, done, size int64, tail string, room, width int) string {
	label = fmt.Sprintf("%-*s ", labelWidth-1, label)
	frac := 0.0
	nums := fmt.Sprintf(" %4s %9s / %-9s", "", bytesHuman(done), "?")
	if size > 0 {
		frac = min(float64(done)/float64(size), 1)
		nums = fmt.Sprintf(" %3d%% %9s / %-9s", int(frac*100), bytesHuman(done), bytesHuman(size))
	}
	if room < 10 {
		if size > 0 {
			nums = fmt.Sprintf("%3d%% %s / %s", int(frac*100), bytesHuman(done), bytesHuman(size))
		}
		return fit(strings.TrimRight(label+nums, " ")+tail, width)
	}
	bar := strings.Repeat("?", room)
	if size > 0 {
		n := int(frac * float64(room))
		bar = strings.Repeat("=", n)
		if n < room {
			bar += ">" + strings.Repeat(" ", room-n-1)
		}
	}
	return fit(strings.TrimRight(label+"["+bar+"]"+nums, " ")+tail, width)
}

// fit cuts s to at most width runes.
func fit(s string, width int) string {
	if width < 1 {
		width = 1
	}
	if utf8.RuneCountInString(s) <= width {
		return s
	}
	r := []rune(s)
	return string(r[:width])
}

// Close stops redrawing and leaves a final summary line.
func (b *Bars) Close() {
	close(b.stop)
	b.wg.Wait()
	b.draw(true)
}
