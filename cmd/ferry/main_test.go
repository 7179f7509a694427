package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/internal/testenv"
	"github.com/ferrytool/ferry/internal/testimage"
)

// buildFerry builds ferry as a user would, with the version set by
// -ldflags, into dir.
func buildFerry(t *testing.T, dir string) string {
	t.Helper()
	goBin := testenv.NeedCommand(t, "go")
	bin := filepath.Join(dir, "ferry")
	build := exec.Command(goBin, "build", "-ldflags", "-X github.com/ferrytool/ferry/internal/cli.Version=v0.0.0-test", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestBinary checks what the process prints and how it exits.
func TestBinary(t *testing.T) {
	dir := t.TempDir()
	bin := buildFerry(t, dir)
	img := testimage.New(testimage.Options{})
	mf := filepath.Join(dir, "manifest.json")
	if err := os.WriteFile(mf, img.Manifest, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string // exact, when not ""
		stderr string // a line stderr must hold, when not ""
		lines  int    // stderr lines
	}{
		{"version", []string{"--version"}, 0, "ferry version v0.0.0-test\n", "", 0},
		{"manifest-digest", []string{"manifest-digest", mf}, 0, img.Digest.String() + "\n", "", 0},
		{"image not found exits 2", []string{"inspect", "oci:" + filepath.Join(dir, "none") + ":x"}, 2, "", "ferry: ", 1},
		{"error exits 1", []string{"manifest-digest", filepath.Join(dir, "nope.json")}, 1, "", "ferry: ", 1},
		{"usage error has a hint", []string{"inspect"}, 1, "", "Run 'ferry inspect --help' for usage.", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, tc.args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, stderr.String())
			}
			if tc.stdout != "" && stdout.String() != tc.stdout {
				t.Errorf("stdout = %q, want %q", stdout.String(), tc.stdout)
			}
			lines := strings.Count(stderr.String(), "\n")
			if lines != tc.lines || !strings.Contains(stderr.String(), tc.stderr) || strings.Contains(stderr.String(), "goroutine") {
				t.Errorf("stderr = %q, want %d line(s) holding %q", stderr.String(), tc.lines, tc.stderr)
			}
		})
	}
}
