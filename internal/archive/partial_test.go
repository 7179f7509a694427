//go:build unix

package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
)

func blobName(b []byte) string { return "blobs/sha256/" + digest.FromBytes(b).Encoded() }

// members lists a tar file's member names in order.
func members(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var names []string
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		names = append(names, h.Name)
	}
}

// A copy killed while writing an archive leaves its partial archive; the
// next copy to the same target keeps its complete, verified members
// (recording them so they are not fetched again), cuts the member the
// kill interrupted, writes on, and renames that same file into place:
// the archive never exists twice on disk.
func TestPartialArchiveResumes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	target := filepath.Join(dir, "app.tar")
	a := bytes.Repeat([]byte("a"), 3000)
	b := bytes.Repeat([]byte("b"), 5000)

	o, err := CreateOutput(target, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := NewSink("test", o)
	if err := s.TW.WriteFile(ctx, blobName(a), int64(len(a)), bytes.NewReader(a)); err != nil {
		t.Fatal(err)
	}
	// Killed half-way through b: the process's descriptor goes, nothing
	// else happens.
	s.TW.WriteFile(ctx, blobName(b), int64(len(b)), io.MultiReader(bytes.NewReader(b[:2000]), failing{}))
	s.TW.tw.Flush()
	o.f.Close()

	o, err = CreateOutput(target, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Resumed{{Name: blobName(a), Digest: digest.FromBytes(a)}}, o.Resumed()); diff != "" {
		t.Fatalf("resumed (-want +got):\n%s", diff)
	}
	if filepath.Base(o.tmp) != PartialPrefix+"app.tar" {
		t.Errorf("writing %s, want the partial archive", o.tmp)
	}
	s = NewSink("test", o)
	if err := s.TW.WriteFile(ctx, blobName(b), int64(len(b)), bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	if err := s.TW.WriteBytes("manifest.json", []byte("[]")); err != nil {
		t.Fatal(err)
	}
	if err := s.TW.Close(); err != nil {
		t.Fatal(err)
	}
	if err := o.Commit(); err != nil {
		t.Fatal(err)
	}
	want := []string{"blobs/", "blobs/sha256/", blobName(a), blobName(b), "manifest.json"}
	if diff := cmp.Diff(want, members(t, target)); diff != "" {
		t.Errorf("archive members (-want +got):\n%s", diff)
	}
	left, _ := os.ReadDir(dir)
	if len(left) != 1 {
		t.Errorf("left in the directory: %v", left)
	}
}

// A partial archive whose member does not match the digest its name
// states is not trusted: nothing is resumed and it is overwritten.
func TestPartialArchiveCorruptMemberDropped(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := filepath.Join(dir, "app.tar")
	a := bytes.Repeat([]byte("a"), 3000)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: blobName(a), Size: int64(len(a)), Mode: 0o644})
	tw.Write(bytes.Repeat([]byte("x"), len(a)))
	tw.Close()
	if err := os.WriteFile(filepath.Join(dir, PartialPrefix+"app.tar"), buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	o, err := CreateOutput(target, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if len(o.Resumed()) != 0 {
		t.Errorf("resumed %v from a corrupt partial archive", o.Resumed())
	}
	if st, _ := o.f.Stat(); st.Size() != 0 {
		t.Errorf("the partial archive keeps %d bytes", st.Size())
	}
}

// A partial archive in use by another ferry is left alone: this copy
// writes a private temporary file instead.
func TestPartialArchiveInUse(t *testing.T) {
	t.Parallel()
	target := filepath.Join(t.TempDir(), "app.tar")
	first, err := CreateOutput(target, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	second, err := CreateOutput(target, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if first.tmp == second.tmp {
		t.Fatalf("both write %s", first.tmp)
	}
}

type failing struct{}

func (failing) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }
