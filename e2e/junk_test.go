package e2e

import (
	"archive/tar"
	"bytes"
	"io/fs"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/opencontainers/go-digest"
)

// sampleArchiveWithJunk is testdata/sample as an oci-archive with extra
// blob members no manifest names (a hostile or sloppy archive), cut to
// keep bytes when keep > 0.
func sampleArchiveWithJunk(t *testing.T, junk, keep int) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(name string, b []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	rng := rand.New(rand.NewSource(1))
	for range junk {
		b := make([]byte, 64<<10)
		rng.Read(b)
		add("blobs/sha256/"+digest.FromBytes(b).Encoded(), b)
	}
	root := filepath.Join(repoRoot(), "testdata", "sample")
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		add(filepath.ToSlash(rel), b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if keep > 0 {
		return buf.Bytes()[:keep]
	}
	return buf.Bytes()
}

// TestJunkMembersLeaveNoBlobs: an oci-archive read from stdin with members
// no manifest names adds none of them to an existing layout, whether the
// copy succeeds or fails (a truncated archive).
func TestJunkMembersLeaveNoBlobs(t *testing.T) {
	t.Parallel()
	root := filepath.Join(t.TempDir(), "layout")
	ferry(t, 0, "copy", "-q", "--all", "oci:"+filepath.Join(repoRoot(), "testdata", "sample")+":latest", "oci:"+root+":base")
	base, err := filepath.Glob(filepath.Join(root, "blobs", "sha256", "*"))
	if err != nil {
		t.Fatal(err)
	}
	whole := sampleArchiveWithJunk(t, 8, 0)
	for _, tc := range []struct {
		name  string
		input []byte
		want  int
	}{
		{"complete", whole, 0},
		{"truncated", whole[:len(whole)-8<<10], 1},
	} {
		cmd := exec.Command(ferryBin, "copy", "-q", "--all", "oci-archive:-:latest", "oci:"+root+":"+tc.name)
		home := t.TempDir()
		cmd.Env = append(os.Environ(), "HOME="+home, "XDG_RUNTIME_DIR="+home, "XDG_CACHE_HOME="+filepath.Join(home, ".cache"))
		cmd.Stdin = bytes.NewReader(tc.input)
		out, err := cmd.CombinedOutput()
		if code := cmd.ProcessState.ExitCode(); code != tc.want {
			t.Fatalf("%s: exit %d (%v), want %d: %s", tc.name, code, err, tc.want, out)
		}
		got, err := filepath.Glob(filepath.Join(root, "blobs", "sha256", "*"))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, base) {
			t.Errorf("%s: the layout holds %d blobs, want the %d of its image", tc.name, len(got), len(base))
		}
	}
}
