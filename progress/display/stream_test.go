package display

import (
	"io"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/progress"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// streamed feeds what a copy from an archive on stdin reports: a member
// whose digest is known only at its end starts with an empty digest and
// size -1, advances, and is done under its real digest; then a malformed
// digest, which a reporter must render rather than panic on.
func streamed(r progress.Reporter) digest.Digest {
	unknown := ocispec.Descriptor{Size: -1}
	got := digest.FromString("streamed member")
	r.Report(progress.Event{Kind: progress.Started, Descriptor: unknown})
	r.Report(progress.Event{Kind: progress.Advanced, Descriptor: unknown, Bytes: 4096})
	r.Report(progress.Event{Kind: progress.Done, Descriptor: ocispec.Descriptor{Digest: got, Size: 4096}, Bytes: 4096})
	odd := ocispec.Descriptor{Digest: "no-separator", Size: 1}
	r.Report(progress.Event{Kind: progress.Started, Descriptor: odd})
	r.Report(progress.Event{Kind: progress.Failed, Descriptor: odd, Err: io.ErrUnexpectedEOF})
	return got
}

// TestStreamedBlobs: every renderer takes a blob of unknown digest (the
// plain one panicked on `docker save | ferry copy docker-archive:- ...`)
// and counts it once, as done, under its real digest.
func TestStreamedBlobs(t *testing.T) {
	t.Parallel()
	type renderer interface {
		progress.Reporter
		Close()
	}
	for name, mk := range map[string]func(w io.Writer) renderer{
		"plain": func(w io.Writer) renderer { return NewPlain(w, 0) },
		"bars":  func(w io.Writer) renderer { return NewBars(w) },
		"json":  func(w io.Writer) renderer { return NewJSON(w) },
	} {
		var buf syncBuf
		r := mk(&buf)
		got := streamed(r)
		r.Close()
		out := buf.String()
		if !strings.Contains(out, got.Encoded()[:12]) {
			t.Errorf("%s: the streamed blob's digest is missing:\n%s", name, out)
		}
		if name != "json" && !strings.Contains(out, "Copied 1 blobs (4.0 KiB)") {
			t.Errorf("%s: the summary does not count the streamed blob once:\n%s", name, out)
		}
	}
	var buf syncBuf
	p := NewPlain(&buf, 0)
	streamed(p)
	p.Close()
	if !strings.Contains(buf.String(), "Copying blob (streamed: its digest is known at its end)") {
		t.Errorf("plain: the start of a streamed blob reads:\n%s", buf.String())
	}
}
