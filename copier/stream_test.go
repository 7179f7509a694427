package copier_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/transport"
)

// blind accepts every image without looking, and says so.
type blind struct{ checked int }

func (b *blind) Check(context.Context, transport.Reference, copier.Instance) error {
	b.checked++
	return nil
}

func (*blind) AcceptsAnyImage(transport.Reference) bool { return true }

// TestPolicyOnStdinArchive: an archive read from stdin is streamed straight
// through only when the policy accepts it blindly; a policy that looks
// gets the manifest before the destination exists (the source spools),
// and its refusal leaves no destination.
func TestPolicyOnStdinArchive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	img := testimage.New(testimage.Options{})
	var archive bytes.Buffer
	if _, err := copier.Copy(ctx, &srcRef{img: img}, parse(t, "oci-archive:-:app"),
		copier.Options{Destination: transport.Options{Stdout: &archive}}); err != nil {
		t.Fatal(err)
	}
	stdin := func(tmp string) transport.Options {
		return transport.Options{Stdin: bytes.NewReader(archive.Bytes()), TmpDir: tmp}
	}
	noTmp := filepath.Join(t.TempDir(), "no", "such", "dir") // spooling here fails

	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		out := filepath.Join(t.TempDir(), "out")
		refuse := copier.PolicyFunc(func(context.Context, transport.Reference, copier.Instance) error {
			return errors.New("unsigned")
		})
		_, err := copier.Copy(ctx, parse(t, "oci-archive:-:app"), parse(t, "dir:"+out),
			copier.Options{Source: stdin(t.TempDir()), Policy: refuse})
		if !errors.Is(err, errdefs.ErrDenied) {
			t.Fatalf("got %v, want the policy's refusal", err)
		}
		absent(t, out)
	})
	t.Run("accepted after spooling", func(t *testing.T) {
		t.Parallel()
		out := filepath.Join(t.TempDir(), "out")
		accept := copier.PolicyFunc(func(context.Context, transport.Reference, copier.Instance) error { return nil })
		res, err := copier.Copy(ctx, parse(t, "oci-archive:-:app"), parse(t, "dir:"+out),
			copier.Options{Source: stdin(t.TempDir()), Policy: accept})
		if err != nil || res.Digest != img.Digest {
			t.Fatalf("got %v, %v; want %s", res, err, img.Digest)
		}
		// The same policy cannot stream: with nowhere to spool, it fails.
		if _, err := copier.Copy(ctx, parse(t, "oci-archive:-:app"), parse(t, "dir:"+filepath.Join(t.TempDir(), "x")),
			copier.Options{Source: stdin(noTmp), Policy: accept}); err == nil {
			t.Error("a policy that looks streamed the archive instead of checking it first")
		}
	})
	t.Run("blind policy streams", func(t *testing.T) {
		t.Parallel()
		out := filepath.Join(t.TempDir(), "out")
		var b blind
		res, err := copier.Copy(ctx, parse(t, "oci-archive:-:app"), parse(t, "dir:"+out),
			copier.Options{Source: stdin(noTmp), Policy: &b})
		if err != nil || res.Digest != img.Digest {
			t.Fatalf("got %v, %v; want %s streamed without a spool", res, err, img.Digest)
		}
		if b.checked != 1 {
			t.Errorf("policy checked %d images, want 1", b.checked)
		}
	})
}
