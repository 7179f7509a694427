package transporttest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// NewPath returns a function for Subject.NewName giving a path named base
// in a new temporary directory, followed by suffix (":v1" for a
// reference name).
func NewPath(base, suffix string) func(t *testing.T) string {
	return func(t *testing.T) string { return filepath.Join(t.TempDir(), base) + suffix }
}

// ParentEntries is a Subject.Leftovers for file-based transports whose
// names come from NewPath: everything in the directory holding the path
// (the path itself included), since that directory was empty before.
func ParentEntries(t *testing.T, name string) []string {
	t.Helper()
	path, _, _ := strings.Cut(name, ":")
	ents, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}
