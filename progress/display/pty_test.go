package display

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/creack/pty"
	"github.com/ferrytool/ferry/progress"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/term"
)

// ptyTerm is a pseudo-terminal: Bars write to its tty side, as the CLI
// writes to a terminal on stderr, and what the kernel's line discipline
// passes on (LF as CR LF) is replayed on a screen model.
type ptyTerm struct {
	t      *testing.T
	master *os.File
	tty    *os.File
	scr    *screen

	mu      sync.Mutex
	cond    *sync.Cond
	want    int // bytes the master side should deliver for what was written
	got     bytes.Buffer
	readErr error
	writes  chan struct{}
}

func openPty(t *testing.T, cols int) *ptyTerm {
	t.Helper()
	master, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	p := &ptyTerm{t: t, master: master, tty: tty, scr: newScreen(t, cols), writes: make(chan struct{}, 64)}
	p.cond = sync.NewCond(&p.mu)
	p.setSize(cols)
	go p.read()
	t.Cleanup(func() { tty.Close(); master.Close() })
	return p
}

func (p *ptyTerm) setSize(cols int) {
	if err := pty.Setsize(p.tty, &pty.Winsize{Cols: uint16(cols), Rows: 50}); err != nil {
		p.t.Fatal(err)
	}
}

func (p *ptyTerm) read() {
	buf := make([]byte, 4096)
	for {
		n, err := p.master.Read(buf)
		p.mu.Lock()
		p.got.Write(buf[:n])
		if err != nil {
			p.readErr = err
		}
		p.cond.Broadcast()
		p.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// Write is the terminal Bars write to.
func (p *ptyTerm) Write(b []byte) (int, error) {
	p.mu.Lock()
	p.want += len(b) + bytes.Count(b, []byte("\n")) // onlcr adds a CR per LF
	p.mu.Unlock()
	n, err := p.tty.Write(b)
	select {
	case p.writes <- struct{}{}:
	default:
	}
	return n, err
}

// width asks the terminal, as the CLI does.
func (p *ptyTerm) width() int {
	w, _, err := term.GetSize(int(p.tty.Fd()))
	if err != nil {
		p.t.Errorf("terminal size: %v", err)
	}
	return w
}

// settle waits until everything written has come through, replays it on
// the screen and returns the screen's lines (wrapped rows joined).
func (p *ptyTerm) settle() []string {
	p.t.Helper()
	p.mu.Lock()
	for p.got.Len() < p.want && p.readErr == nil {
		p.cond.Wait()
	}
	if p.readErr != nil && !errors.Is(p.readErr, io.EOF) {
		p.t.Fatalf("reading the terminal: %v", p.readErr)
	}
	out := p.got.String()
	p.got.Reset()
	p.want -= len(out)
	p.mu.Unlock()
	p.scr.write(out)
	return p.scr.logical()
}

// blobsFor makes n blobs of the given sizes.
func blobsFor(sizes ...int64) []ocispec.Descriptor {
	var ds []ocispec.Descriptor
	for i, s := range sizes {
		ds = append(ds, ocispec.Descriptor{MediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
			Digest: digest.FromString(fmt.Sprint("layer", i)), Size: s})
	}
	return ds
}

// checkFrame checks the screen after a redraw: the permanent lines (which
// may wrap), then one bar per active blob and one total line, nothing
// stale, no live row as wide as the terminal.
func checkFrame(t *testing.T, lines []string, permanent, active int, cols int) {
	t.Helper()
	show := strings.Join(lines, "\n")
	if len(lines) < active+1 {
		t.Fatalf("%d rows on screen, want at least %d bars and the total:\n%s", len(lines), active, show)
	}
	live := lines[len(lines)-active-1:]
	above := lines[:len(lines)-active-1]
	if got := len(above); got != permanent {
		t.Fatalf("%d lines above the bars, want the %d finished ones:\n%s", got, permanent, show)
	}
	for _, l := range above {
		if !strings.HasPrefix(l, "Copied blob ") {
			t.Fatalf("stale line %q above the bars:\n%s", l, show)
		}
	}
	for i, l := range live {
		if isBar := strings.Contains(l, "%"); !isBar {
			t.Fatalf("live row %q is no bar:\n%s", l, show)
		}
		if total := strings.HasPrefix(l, "total"); total != (i == active) {
			t.Fatalf("live row %d %q: want %d bars then the total:\n%s", i, l, active, show)
		}
		if n := len([]rune(l)); n >= cols {
			t.Fatalf("a live row of %d columns on a terminal of %d: %q", n, cols, l)
		}
	}
}

// TestBarsOnTerminal plays a copy of four blobs on terminals of 80, 120
// and 40 columns: every frame leaves exactly the finished lines, a bar per
// active blob and the total (at 80 columns the bars used to wrap, so each
// redraw left a stale row), and the end leaves the finished lines and the
// summary.
func TestBarsOnTerminal(t *testing.T) {
	t.Parallel()
	for _, cols := range []int{80, 120, 40} {
		t.Run(strconv.Itoa(cols), func(t *testing.T) {
			t.Parallel()
			p := openPty(t, cols)
			b := NewBars(p, WithWidth(p.width))
			ds := blobsFor(40<<20, 3<<20, 700<<10, 1500)
			for _, d := range ds {
				b.Report(progress.Event{Kind: progress.Queued, Descriptor: d})
			}
			for _, d := range ds {
				b.Report(progress.Event{Kind: progress.Started, Descriptor: d})
				b.Report(progress.Event{Kind: progress.Advanced, Descriptor: d, Bytes: d.Size / 3})
			}
			b.draw(false)
			checkFrame(t, p.settle(), 0, 4, cols)
			for i := len(ds) - 1; i >= 0; i-- { // the smallest finish first
				d := ds[i]
				b.Report(progress.Event{Kind: progress.Advanced, Descriptor: d, Bytes: d.Size - d.Size/3})
				b.Report(progress.Event{Kind: progress.Done, Descriptor: d, Bytes: d.Size})
				if i > 0 {
					b.draw(false)
					checkFrame(t, p.settle(), len(ds)-i, i, cols)
				}
			}
			b.Close()
			lines := p.settle()
			if len(lines) != len(ds)+1 {
				t.Fatalf("final screen:\n%s\nwant %d finished lines and the summary", strings.Join(lines, "\n"), len(ds))
			}
			for i, l := range lines[:len(ds)] {
				if want := "Copied blob " + shortDigest(ds[len(ds)-1-i].Digest); !strings.HasPrefix(l, want) {
					t.Errorf("row %d %q, want %q...", i, l, want)
				}
			}
			if l := lines[len(ds)]; !strings.HasPrefix(l, "Copied 4 blobs (43.7 MiB) in ") {
				t.Errorf("summary row %q", l)
			}
		})
	}
}

// TestBarsFollowResize narrows the terminal from 120 to 40 columns under a
// live frame: the terminal reflows the old rows, the redraw the resize
// triggers climbs over all of them and draws rows that fit.
func TestBarsFollowResize(t *testing.T) {
	t.Parallel()
	p := openPty(t, 120)
	resized := make(chan struct{})
	b := NewBars(p, WithWidth(p.width), WithResize(resized))
	defer b.Close()
	ds := blobsFor(40<<20, 3<<20)
	for _, d := range ds {
		b.Report(progress.Event{Kind: progress.Started, Descriptor: d})
		b.Report(progress.Event{Kind: progress.Advanced, Descriptor: d, Bytes: d.Size / 2})
	}
	b.Report(progress.Event{Kind: progress.Done, Descriptor: ocispec.Descriptor{Digest: digest.FromString("config"), Size: 1}, Bytes: 1})
	b.draw(false)
	lines := p.settle()
	checkFrame(t, lines, 1, 2, 120)
	if w := len([]rune(lines[1])); w <= 40 {
		t.Fatalf("a bar of %d columns at 120: the resize would not rewrap anything", w)
	}
	p.setSize(40)
	p.scr.resize(40)
	for len(p.writes) > 0 {
		<-p.writes
	}
	resized <- struct{}{}
	<-p.writes // the redraw the resize asked for
	checkFrame(t, p.settle(), 1, 2, 40)
}
