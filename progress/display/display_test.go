package display

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/ferrytool/ferry/progress"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// play feeds a transfer of three blobs: one copied in two steps, one
// already present, one failing.
func play(r progress.Reporter) (a, b, c ocispec.Descriptor) {
	a = ocispec.Descriptor{Digest: digest.FromString("a"), Size: 3 << 20}
	b = ocispec.Descriptor{Digest: digest.FromString("b"), Size: 100}
	c = ocispec.Descriptor{Digest: digest.FromString("c"), Size: 50}
	r.Report(progress.Event{Kind: progress.Started, Descriptor: a})
	r.Report(progress.Event{Kind: progress.Advanced, Descriptor: a, Bytes: 1 << 20})
	r.Report(progress.Event{Kind: progress.Skipped, Descriptor: b})
	r.Report(progress.Event{Kind: progress.Advanced, Descriptor: a, Bytes: 2 << 20})
	r.Report(progress.Event{Kind: progress.Done, Descriptor: a, Bytes: 3 << 20})
	r.Report(progress.Event{Kind: progress.Started, Descriptor: c})
	r.Report(progress.Event{Kind: progress.Failed, Descriptor: c, Err: errors.New("connection reset")})
	return a, b, c
}

func TestPlain(t *testing.T) {
	t.Parallel()
	var buf syncBuf
	p := NewPlain(&buf, 0)
	a, b, c := play(p)
	p.Close()
	out := buf.String()
	for _, want := range []string{
		"Copying blob " + a.Digest.String() + "\n",
		"Copying blob " + b.Digest.String() + "\n",
		"Copied blob " + a.Digest.Encoded()[:12] + " (3.0 MiB in ",
		"Failed blob " + c.Digest.Encoded()[:12] + ": connection reset",
		"Copied 1 blobs (3.0 MiB) in 0s: 3.0 MiB transferred; 1 already present (100 B)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("plain output has terminal escapes")
	}
}

func TestJSONLines(t *testing.T) {
	t.Parallel()
	var buf syncBuf
	j := NewJSON(&buf)
	a, _, _ := play(j)
	j.Close()
	var events []string
	sc := bufio.NewScanner(strings.NewReader(buf.String()))
	for sc.Scan() {
		var ev jsonEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		events = append(events, ev.Event)
		if ev.Event == "done" && (ev.Digest != a.Digest || ev.Bytes != a.Size) {
			t.Errorf("done event %+v", ev)
		}
		if ev.Event == "summary" && ev.Bytes != 3<<20 {
			t.Errorf("summary moved %d bytes, want %d", ev.Bytes, 3<<20)
		}
	}
	got := strings.Join(events, ",")
	// The first Advanced is due at once; the second falls inside 500 ms.
	if want := "start,progress,skip,done,start,fail,summary"; got != want {
		t.Errorf("events %s, want %s", got, want)
	}
}

func TestBars(t *testing.T) {
	t.Parallel()
	var buf syncBuf
	b := NewBars(&buf)
	a := ocispec.Descriptor{Digest: digest.FromString("a"), Size: 1000}
	b.Report(progress.Event{Kind: progress.Started, Descriptor: a})
	b.Report(progress.Event{Kind: progress.Advanced, Descriptor: a, Bytes: 500})
	b.draw(false)
	mid := buf.String()
	if !strings.Contains(mid, " 50%     500 B / 1000 B\n") || !strings.Contains(mid, "total") {
		t.Errorf("live frame lacks the half-done bar and total:\n%q", mid)
	}
	b.Report(progress.Event{Kind: progress.Done, Descriptor: a, Bytes: 1000})
	b.Close()
	out := buf.String()
	if !strings.Contains(out, "Copied blob "+a.Digest.Encoded()[:12]+" (1000 B in ") || !strings.Contains(out, "Copied 1 blobs (1000 B) in 0s: 500 B transferred") {
		t.Errorf("final frame:\n%q", out)
	}
}

func TestBytesHuman(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 5 << 30: "5.0 GiB"} {
		if got := bytesHuman(n); got != want {
			t.Errorf("bytesHuman(%d) = %q, want %q", n, got, want)
		}
	}
}
