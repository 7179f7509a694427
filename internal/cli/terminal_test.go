package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/internal/testimage"
)

// A binary archive is never written onto a terminal (docker save's rule);
// redirected, the same command writes it.
func TestArchiveNotWrittenToTerminal(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := writeOCI(t, filepath.Join(dir, "layout"), "app", testimage.New(testimage.Options{Seed: 7}))
	for _, tc := range []struct {
		dst  string
		tty  bool
		code int
	}{
		{"docker-archive:-", true, ExitFailure},
		{"docker-archive:-:app:1", true, ExitFailure},
		{"oci-archive:-", true, ExitFailure},
		{"oci-archive:-:app", true, ExitFailure},
		{"docker-archive:-", false, ExitOK},
		{"oci-archive:-", false, ExitOK},
		{"docker-archive:" + filepath.Join(dir, "file.tar"), true, ExitOK},
		// stdout named by its path, as /dev/stdout names it.
		{"docker-archive:" + filepath.Join(dir, "stdout"), true, ExitFailure},
	} {
		out, err := os.Create(filepath.Join(dir, "stdout"))
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		a := newApp(out, &stderr)
		a.isTerminal = func(int) bool { return tc.tty }
		code := a.run(context.Background(), []string{"copy", "-q", src, tc.dst})
		out.Close()
		written, _ := os.ReadFile(out.Name())
		if code != tc.code {
			t.Errorf("%s (terminal %v): exit %d, want %d (stderr %q)", tc.dst, tc.tty, code, tc.code, stderr.String())
		}
		refused := tc.code != ExitOK
		if refused != strings.Contains(stderr.String(), "cowardly refusing to save to a terminal") {
			t.Errorf("%s (terminal %v): stderr %q", tc.dst, tc.tty, stderr.String())
		}
		if wantBytes := !tc.tty; wantBytes != (len(written) > 0) {
			t.Errorf("%s (terminal %v): %d bytes on stdout", tc.dst, tc.tty, len(written))
		}
	}
}
