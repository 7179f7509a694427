// Package e2e runs the ferry binary as a user would, against real servers
// started for the test: Debian's docker-registry (distribution 2.8) with
// and without TLS and htpasswd auth, and real skopeo as a peer. These
// programs are installed by .ci/run; locally the tests skip without them.
package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/internal/testdocker"
)

// ferryBin is the binary built once for the whole package.
var ferryBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ferry-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ferryBin = filepath.Join(dir, "ferry")
	build := exec.Command("go", "build", "-o", ferryBin, "./cmd/ferry")
	build.Dir = repoRoot()
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building ferry: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	testdocker.Stop() // the dockerd of the daemon cases, if one was started
	os.RemoveAll(dir)
	os.Exit(code)
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// result is what one run of a command printed and how it exited.
type result struct {
	stdout, stderr string
	code           int
}

// run runs a program with args and an isolated HOME, so no credential file
// of the machine leaks into a test.
func run(t *testing.T, env []string, name string, args ...string) result {
	t.Helper()
	cmd := exec.Command(name, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	home := t.TempDir()
	// An empty registries.conf: no mirror or block of the machine applies.
	regsConf := filepath.Join(home, "registries.conf")
	if err := os.WriteFile(regsConf, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_RUNTIME_DIR="+home, "XDG_CACHE_HOME="+filepath.Join(home, ".cache"), "REGISTRY_AUTH_FILE=", "DOCKER_CONFIG="+filepath.Join(home, ".docker"),
		"CONTAINERS_REGISTRIES_CONF="+regsConf, "CONTAINERS_REGISTRIES_CONF_OVERRIDE=")
	cmd.Env = append(cmd.Env, env...)
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running %s: %v", name, err)
	}
	return r
}

// ferry runs the ferry binary and fails the test unless it exits with want.
func ferry(t *testing.T, want int, args ...string) result {
	t.Helper()
	r := run(t, nil, ferryBin, args...)
	if r.code != want {
		t.Fatalf("ferry %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
	}
	return r
}

// oneLine checks that a failing command said one sentence, without a Go stack.
func oneLine(t *testing.T, r result) {
	t.Helper()
	msg := strings.TrimSpace(r.stderr)
	if msg == "" || strings.Contains(msg, "\n") || strings.Contains(msg, "goroutine ") || !strings.HasPrefix(msg, "ferry: ") {
		t.Errorf("stderr is not one \"ferry: ...\" line: %q", r.stderr)
	}
}
