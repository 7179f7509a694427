package cli

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCopySignatures: skopeo's signature-N files of a dir: image travel to
// another dir:, --remove-signatures drops them, and a copy that would
// invalidate them or cannot store them refuses, naming the flag, and
// writes nothing.
func TestCopySignatures(t *testing.T) {
	t.Parallel()
	f := newOCIFixture(t) // f.single is a Docker schema-2 image
	src := filepath.Join(t.TempDir(), "signed")
	if _, stderr, code := runCLI(t, "copy", "-q", f.single, "dir:"+src); code != 0 {
		t.Fatalf("copy to dir: exit %d: %s", code, stderr)
	}
	sigs := map[string]string{"signature-1": "\xa3first", "signature-2": "\xa3second, longer"}
	for name, b := range sigs {
		if err := os.WriteFile(filepath.Join(src, name), []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	readSigs := func(root string) map[string]string {
		out := map[string]string{}
		names, _ := filepath.Glob(filepath.Join(root, "signature-*"))
		for _, n := range names {
			b, err := os.ReadFile(n)
			if err != nil {
				t.Fatal(err)
			}
			out[filepath.Base(n)] = string(b)
		}
		return out
	}
	absent := func(p string) {
		t.Helper()
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s exists after a refused copy", p)
		}
	}

	kept := filepath.Join(t.TempDir(), "kept")
	if _, stderr, code := runCLI(t, "copy", "-q", "dir:"+src, "dir:"+kept); code != 0 {
		t.Fatalf("copy: exit %d: %s", code, stderr)
	}
	if got := readSigs(kept); len(got) != 2 || got["signature-1"] != sigs["signature-1"] || got["signature-2"] != sigs["signature-2"] {
		t.Errorf("copied signatures %q, want %q", got, sigs)
	}

	removed := filepath.Join(t.TempDir(), "removed")
	if _, stderr, code := runCLI(t, "copy", "-q", "--remove-signatures", "dir:"+src, "dir:"+removed); code != 0 {
		t.Fatalf("copy --remove-signatures: exit %d: %s", code, stderr)
	}
	if got := readSigs(removed); len(got) != 0 {
		t.Errorf("--remove-signatures left %q", got)
	}

	for _, tc := range []struct {
		name string
		args []string
		dst  string
		want string
	}{
		{"format oci", []string{"--format", "oci"}, "dir:" + filepath.Join(t.TempDir(), "converted"), "would invalidate the image's signatures; add --remove-signatures"},
		{"layout", nil, "oci:" + filepath.Join(t.TempDir(), "layout") + ":x", "Can not copy signatures to oci:"},
	} {
		argv := append(append([]string{"copy", "-q"}, tc.args...), "dir:"+src, tc.dst)
		_, stderr, code := runCLI(t, argv...)
		if code != 1 || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%s: exit %d, stderr %q; want 1 and one line with %q", tc.name, code, stderr, tc.want)
		}
		if tc.name == "format oci" {
			absent(strings.TrimPrefix(tc.dst, "dir:"))
		}
		argv = append(append([]string{"copy", "-q", "--remove-signatures"}, tc.args...), "dir:"+src, tc.dst)
		if _, stderr, code := runCLI(t, argv...); code != 0 {
			t.Errorf("%s with --remove-signatures: exit %d: %s", tc.name, code, stderr)
		}
	}
}
