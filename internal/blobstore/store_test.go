package blobstore

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestNaming(t *testing.T) {
	t.Parallel()
	d := digest.FromString("x")
	for _, tt := range []struct {
		naming Naming
		want   string
	}{
		{ByAlgorithm, filepath.Join("sha256", d.Encoded())},
		{ByEncoded, d.Encoded()},
	} {
		root := t.TempDir()
		s := New(root, tt.naming)
		ctx := context.Background()
		if err := s.PutBytes(ctx, d, []byte("x")); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(root, tt.want)); err != nil {
			t.Errorf("blob not at %s: %v", tt.want, err)
		}
		f, err := s.Open(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(f)
		f.Close()
		if string(b) != "x" {
			t.Errorf("Open: got %q", b)
		}
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := t.TempDir()
	s := New(root, ByAlgorithm)
	good := digest.FromString("content")
	if err := s.PutBytes(ctx, good, []byte("other")); !errors.Is(err, errdefs.ErrDigestMismatch) {
		t.Errorf("PutBytes of wrong content: got %v, want %v", err, errdefs.ErrDigestMismatch)
	}
	if err := s.Put(ctx, ocispec.Descriptor{Digest: good, Size: 99}, bytes.NewReader([]byte("content"))); !errors.Is(err, errdefs.ErrSizeMismatch) {
		t.Errorf("Put of the wrong size: got %v, want %v", err, errdefs.ErrSizeMismatch)
	}
	for _, d := range []digest.Digest{"sha256:../../x", "../etc/passwd", ""} {
		if err := s.Put(ctx, ocispec.Descriptor{Digest: d, Size: -1}, bytes.NewReader(nil)); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("Put(%q): got %v, want %v", d, err, errdefs.ErrInvalidArgument)
		}
	}
	if _, err := s.Open(ctx, good); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("Open of a missing blob: got %v, want %v", err, errdefs.ErrNotFound)
	}
	ents, _ := os.ReadDir(root)
	for _, e := range ents {
		if !e.IsDir() {
			t.Errorf("left in the store after refusals: %s", e.Name())
		}
	}
}

func TestPutStream(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := New(t.TempDir(), ByAlgorithm)
	var seen digest.Digest
	desc, err := s.PutStream(ctx, "m", bytes.NewReader([]byte("streamed")), func(d digest.Digest) error { seen = d; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if want := digest.FromString("streamed"); desc.Digest != want || seen != want || desc.Size != 8 {
		t.Errorf("got %+v (before saw %s), want %s", desc, seen, want)
	}
	stop := errors.New("stop")
	if _, err := s.PutStream(ctx, "m", bytes.NewReader([]byte("refused")), func(digest.Digest) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("PutStream with a failing hook: got %v", err)
	}
	if ok, _ := s.Has(ctx, ocispec.Descriptor{Digest: digest.FromString("refused"), Size: -1}); ok {
		t.Error("a blob whose hook failed was stored")
	}
}
