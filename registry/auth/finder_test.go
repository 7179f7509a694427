package auth

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
)

// TestExplicitAuthFileMissing: an --authfile (or $REGISTRY_AUTH_FILE) that
// does not exist is an error, as skopeo makes it, not anonymous access.
func TestExplicitAuthFileMissing(t *testing.T) {
	for _, viaEnv := range []bool{false, true} {
		home := isolate(t)
		missing := filepath.Join(home, "nonexistent", "auth.json")
		s := Settings{AuthFile: missing}
		if viaEnv {
			t.Setenv("REGISTRY_AUTH_FILE", missing)
			s = Settings{}
		}
		_, err := Lookup(context.Background(), "quay.io", "a", s, nil)
		if err == nil || !errors.Is(err, errdefs.ErrInvalidArgument) ||
			!strings.Contains(err.Error(), "credential file is not accessible") || !strings.Contains(err.Error(), missing) {
			t.Errorf("env %v: got %v, want ErrInvalidArgument naming %s", viaEnv, err, missing)
		}
	}
}

// TestUnreadableDefaultSkipped: a default credential location that cannot
// be read (as /run/containers/UID/auth.json for a non-root user without
// XDG_RUNTIME_DIR) is skipped with a debug line, and the next file in the
// chain still answers.
func TestUnreadableDefaultSkipped(t *testing.T) {
	home := isolate(t)
	primary := filepath.Join(home, "run/containers/auth.json")
	// A directory where the file should be cannot be read by anyone, root
	// included; without root, a file with mode 0 is the real-world case.
	if err := os.MkdirAll(primary, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(home, ".docker/config.json"), `{"auths":{"quay.io":{"auth":"`+b64("docker:1")+`"}}}`)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	got, err := Lookup(context.Background(), "quay.io", "a", Settings{}, log)
	if err != nil || got != (Credential{Username: "docker", Password: "1"}) {
		t.Fatalf("got %+v, %v; want the config.json credential", got, err)
	}
	if !strings.Contains(logs.String(), "credential file unreadable, skipped") || !strings.Contains(logs.String(), primary) {
		t.Errorf("no debug line about the skipped file:\n%s", logs.String())
	}
	if os.Getuid() != 0 {
		if err := os.Remove(primary); err != nil {
			t.Fatal(err)
		}
		writeFile(t, primary, `{"auths":{}}`)
		if err := os.Chmod(primary, 0); err != nil {
			t.Fatal(err)
		}
		if got, err := Lookup(context.Background(), "quay.io", "a", Settings{}, nil); err != nil || got.Username != "docker" {
			t.Fatalf("mode 0 file: got %+v, %v", got, err)
		}
	}
	// The same file named explicitly is an error.
	if _, err := Lookup(context.Background(), "quay.io", "a", Settings{AuthFile: primary}, nil); err == nil {
		t.Error("an unreadable --authfile was accepted")
	}
}

// TestFinderRunsHelperOnce: however many repositories and goroutines ask,
// a credential helper runs once per registry and the files are read once.
func TestFinderRunsHelperOnce(t *testing.T) {
	home := isolate(t)
	count := filepath.Join(home, "runs")
	dir := t.TempDir()
	script := "#!/bin/sh\necho run >> " + count + "\nread server\nprintf '{\"Username\":\"u-%s\",\"Secret\":\"s\"}' \"$server\"\n"
	writeFile(t, filepath.Join(dir, "docker-credential-ferrycount"), script)
	if err := os.Chmod(filepath.Join(dir, "docker-credential-ferrycount"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	cfg := filepath.Join(home, ".docker/config.json")
	writeFile(t, cfg, `{"credHelpers":{"quay.io":"ferrycount","ghcr.io":"ferrycount"}}`)
	f := NewFinder(Settings{}, nil)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			host := []string{"quay.io", "ghcr.io"}[i%2]
			c, err := f.Lookup(context.Background(), host, "team/app"+string(rune('a'+i)))
			if err != nil || c.Username != "u-"+host {
				t.Errorf("%s: got %+v, %v", host, c, err)
			}
		}()
	}
	wg.Wait()
	// A file changed after the first lookup is not read again.
	writeFile(t, cfg, `{"auths":{"quay.io":{"auth":"`+b64("changed:1")+`"}}}`)
	if c, _ := f.Lookup(context.Background(), "quay.io", "x"); c.Username != "u-quay.io" {
		t.Errorf("after the file changed: got %+v, want the helper's answer kept", c)
	}
	b, err := os.ReadFile(count)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "run"); n != 2 {
		t.Errorf("helper ran %d times, want 2 (once per registry)", n)
	}
}
