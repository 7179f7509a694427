package display

import (
	"strings"
	"testing"
	"time"

	"github.com/ferrytool/ferry/progress"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// clock is a tracker clock the test moves.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// TestPlainProgressLine: the first progress line already has a rate (it
// said "0 B/s, ETA --" however fast the bytes came) and, with every blob
// queued, the whole total while only the first of a sequential copy
// moves; a destination committing gets a line of its own.
func TestPlainProgressLine(t *testing.T) {
	t.Parallel()
	var buf syncBuf
	p := NewPlain(&buf, time.Hour)
	defer p.Close()
	clk := &clock{t: time.Unix(1000, 0)}
	p.t.now, p.t.start = clk.now, clk.t
	ds := []ocispec.Descriptor{
		{Digest: digest.FromString("one"), Size: 10 << 20},
		{Digest: digest.FromString("two"), Size: 30 << 20},
	}
	for _, d := range ds {
		p.Report(progress.Event{Kind: progress.Queued, Descriptor: d})
	}
	p.Report(progress.Event{Kind: progress.Started, Descriptor: ds[0]})
	clk.t = clk.t.Add(time.Second)
	p.Report(progress.Event{Kind: progress.Advanced, Descriptor: ds[0], Bytes: 4 << 20})
	clk.t = clk.t.Add(time.Second)
	p.tick()
	if want := "Progress: 4.0 MiB / 40.0 MiB (10%), 4.0 MiB/s, ETA 9s\n"; !strings.HasSuffix(buf.String(), want) {
		t.Errorf("progress line:\n%s\nwant %q", buf.String(), want)
	}
	p.Report(progress.Event{Kind: progress.ImageStep, Image: "x", Step: progress.StepCommit, Detail: "docker-daemon:app:1"})
	clk.t = clk.t.Add(73 * time.Second)
	p.tick()
	if want := "Committing the image to docker-daemon:app:1 (1m13s so far)\n"; !strings.HasSuffix(buf.String(), want) {
		t.Errorf("while committing:\n%s\nwant the last line %q", buf.String(), want)
	}
	p.Report(progress.Event{Kind: progress.ImageDone, Image: "x"})
	before := buf.String()
	p.tick()
	if strings.Contains(strings.TrimPrefix(buf.String(), before), "Committing") {
		t.Errorf("a commit line after the image was done:\n%s", buf.String())
	}
}

// TestSummaryClasses: bytes read, reused from the cache (whole or resumed)
// and present are told apart, and a blob just copied that a later check
// finds present is not news.
func TestSummaryClasses(t *testing.T) {
	t.Parallel()
	var buf syncBuf
	p := NewPlain(&buf, time.Hour)
	read := ocispec.Descriptor{Digest: digest.FromString("read"), Size: 1024}
	cached := ocispec.Descriptor{Digest: digest.FromString("cached"), Size: 3 << 20}
	resumed := ocispec.Descriptor{Digest: digest.FromString("resumed"), Size: 10 << 20}
	present := ocispec.Descriptor{Digest: digest.FromString("present"), Size: 5 << 20}
	p.Report(progress.Event{Kind: progress.Started, Descriptor: read})
	p.Report(progress.Event{Kind: progress.Advanced, Descriptor: read, Bytes: 1024})
	p.Report(progress.Event{Kind: progress.Done, Descriptor: read, Bytes: 1024})
	p.Report(progress.Event{Kind: progress.Started, Descriptor: cached})
	p.Report(progress.Event{Kind: progress.Advanced, Descriptor: cached, Bytes: 3 << 20, Cached: true})
	p.Report(progress.Event{Kind: progress.Done, Descriptor: cached, Bytes: 3 << 20})
	p.Report(progress.Event{Kind: progress.Started, Descriptor: resumed})
	p.Report(progress.Event{Kind: progress.Advanced, Descriptor: resumed, Bytes: 6 << 20, Cached: true})
	p.Report(progress.Event{Kind: progress.Advanced, Descriptor: resumed, Bytes: 4 << 20})
	p.Report(progress.Event{Kind: progress.Done, Descriptor: resumed, Bytes: 10 << 20})
	p.Report(progress.Event{Kind: progress.Skipped, Descriptor: present})
	p.Report(progress.Event{Kind: progress.Skipped, Descriptor: read}) // a stream copy's second look
	p.Close()
	out := buf.String()
	for _, want := range []string{
		"Copied blob " + shortDigest(cached.Digest) + " (3.0 MiB reused from the blob cache)\n",
		"Copied blob " + shortDigest(resumed.Digest) + " (10.0 MiB in 0s, 6.0 MiB of it resumed from the blob cache)\n",
		"Copied 3 blobs (13.0 MiB) in 0s: 4.0 MiB transferred, 9.0 MiB reused from the blob cache; 1 already present (5.0 MiB)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "Copying blob "+read.Digest.String()); n != 1 {
		t.Errorf("the blob copied and then found present is announced %d times:\n%s", n, out)
	}
}

// TestJSONStepsAndClasses: tools get the queued blobs, the steps and the
// byte classes.
func TestJSONStepsAndClasses(t *testing.T) {
	t.Parallel()
	var buf syncBuf
	j := NewJSON(&buf)
	d := ocispec.Descriptor{Digest: digest.FromString("layer"), Size: 100}
	j.Report(progress.Event{Kind: progress.Queued, Descriptor: d})
	j.Report(progress.Event{Kind: progress.ImageStep, Step: progress.StepInstance, Index: 1, Count: 2})
	j.Report(progress.Event{Kind: progress.Started, Descriptor: d})
	j.Report(progress.Event{Kind: progress.Advanced, Descriptor: d, Bytes: 60, Cached: true})
	j.Report(progress.Event{Kind: progress.Advanced, Descriptor: d, Bytes: 40})
	j.Report(progress.Event{Kind: progress.Done, Descriptor: d, Bytes: 100})
	j.Close()
	for _, want := range []string{
		`{"event":"queued","digest":"` + d.Digest.String() + `","size":100}`,
		`{"event":"image-step","step":"instance","index":1,"count":2}`,
		`"event":"progress","digest":"` + d.Digest.String() + `","size":100,"bytes":60,"cached":true}`,
		`{"event":"summary","bytes":40,"blobs":1,"seconds":`,
		`,"cached_bytes":60}`,
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("output lacks %s:\n%s", want, buf.String())
		}
	}
}
