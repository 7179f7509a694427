package display

import (
	"bufio"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/progress"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// playImages feeds two image copies through one reporter, as a sync
// would: one copied (a blob of one of its instances), one failed.
func playImages(r progress.Reporter) (top, inst digest.Digest) {
	top, inst = digest.FromString("index"), digest.FromString("instance")
	blob := ocispec.Descriptor{Digest: digest.FromString("layer"), Size: 10}
	r.Report(progress.Event{Kind: progress.ImageStarted, Image: "docker://r/a:1"})
	r.Report(progress.Event{Kind: progress.ImageStarted, Image: "docker://r/b:1"})
	r.Report(progress.Event{Kind: progress.Started, Image: "docker://r/a:1", Instance: inst, Descriptor: blob})
	r.Report(progress.Event{Kind: progress.Done, Image: "docker://r/a:1", Instance: inst, Descriptor: blob, Bytes: 10})
	r.Report(progress.Event{Kind: progress.ImageFailed, Image: "docker://r/b:1", Err: errors.New("manifest unknown")})
	r.Report(progress.Event{Kind: progress.ImageDone, Image: "docker://r/a:1", Descriptor: ocispec.Descriptor{Digest: top, Size: 300}})
	return top, inst
}

func TestPlainImageLines(t *testing.T) {
	t.Parallel()
	var buf syncBuf
	p := NewPlain(&buf, 0)
	top, _ := playImages(p)
	p.Close()
	out := buf.String()
	if want := "Copied image docker://r/a:1 (" + top.String() + ")"; !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
	// A failure is the caller's error to print, once; starts are noise.
	if strings.Contains(out, "r/b:1") || strings.Contains(out, "Copying image") {
		t.Errorf("output shows an image start or failure:\n%s", out)
	}
	if !strings.Contains(out, "Copied 1 blobs") {
		t.Errorf("image events disturbed the blob summary:\n%s", out)
	}
}

func TestJSONImageEvents(t *testing.T) {
	t.Parallel()
	var buf syncBuf
	j := NewJSON(&buf)
	top, inst := playImages(j)
	j.Close()
	var got []string
	sc := bufio.NewScanner(strings.NewReader(buf.String()))
	for sc.Scan() {
		var ev jsonEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		got = append(got, ev.Event+" "+ev.Image)
		switch ev.Event {
		case "done":
			if ev.Instance != inst {
				t.Errorf("blob done names instance %q, want %s", ev.Instance, inst)
			}
		case "image-done":
			if ev.Digest != top {
				t.Errorf("image-done names %s, want %s", ev.Digest, top)
			}
		case "image-fail":
			if ev.Error != "manifest unknown" {
				t.Errorf("image-fail error %q", ev.Error)
			}
		case "summary":
			if ev.Blobs != 1 {
				t.Errorf("summary counts %d blobs, want 1 (image events are not blobs)", ev.Blobs)
			}
		}
	}
	want := "image-start docker://r/a:1,image-start docker://r/b:1,start docker://r/a:1,done docker://r/a:1,image-fail docker://r/b:1,image-done docker://r/a:1,summary "
	if g := strings.Join(got, ","); g != want {
		t.Errorf("events\n%s\nwant\n%s", g, want)
	}
}
