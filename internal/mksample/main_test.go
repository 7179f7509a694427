package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// committed is the sample checked into the repository.
const committed = "../../testdata/sample"

// TestSampleIsReproducible regenerates the sample and compares it, file by
// file and byte for byte, with the committed one.
func TestSampleIsReproducible(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sample")
	if err := generate(t.Context(), out); err != nil {
		t.Fatal(err)
	}
	want, got := tree(t, committed), tree(t, out)
	if diff := cmp.Diff(names(want), names(got)); diff != "" {
		t.Fatalf("files differ (-committed +regenerated):\n%s\nregenerate with: rm -rf testdata/sample && go run ./internal/mksample testdata/sample", diff)
	}
	total := 0
	for name, b := range want {
		total += len(b)
		if !bytes.Equal(b, got[name]) {
			t.Errorf("%s differs from the regenerated file", name)
		}
	}
	if total > 100<<10 {
		t.Errorf("the sample is %d bytes, want under 100 KB", total)
	}
}

// tree maps each regular file under root (by slash path) to its content.
func tree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func names(m map[string][]byte) []string {
	var out []string
	for name := range m {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}
