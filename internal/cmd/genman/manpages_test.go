package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestManPagesCurrent regenerates the man pages and compares them with the
// ones checked in under docs/man: a command or flag changed without
// regenerating them fails here.
func TestManPagesCurrent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := WriteManPages(dir); err != nil {
		t.Fatal(err)
	}
	const fix = "regenerate them: go run ./internal/cmd/genman docs/man"
	want, _ := filepath.Glob(filepath.Join(dir, "*.1"))
	have, _ := filepath.Glob(filepath.Join("..", "..", "..", "docs", "man", "*.1"))
	names := func(paths []string) []string {
		var out []string
		for _, p := range paths {
			out = append(out, filepath.Base(p))
		}
		return out
	}
	if !slices.Equal(names(want), names(have)) {
		t.Fatalf("docs/man holds %v, the commands give %v; %s", names(have), names(want), fix)
	}
	if len(want) < 5 {
		t.Fatalf("only %d man pages generated", len(want))
	}
	for _, p := range want {
		gen, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		in, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "man", filepath.Base(p)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(gen, in) {
			t.Errorf("docs/man/%s is out of date; %s", filepath.Base(p), fix)
		}
	}
}
