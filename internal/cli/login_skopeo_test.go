package cli

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
	"github.com/ferrytool/ferry/internal/testregistry"
)

// skopeoRunner runs Debian's skopeo with a home, runtime and config
// directory of its own (no credential file of the machine leaks in) and
// the given $PATH.
func skopeoRunner(t *testing.T, path string) func(args ...string) (string, string, int) {
	skopeo := testenv.NeedCommand(t, "skopeo")
	home := t.TempDir()
	return func(args ...string) (string, string, int) {
		t.Helper()
		cmd := exec.Command(skopeo, args...)
		cmd.Env = append(os.Environ(), "HOME="+home, "XDG_RUNTIME_DIR="+filepath.Join(home, "run"),
			"XDG_CONFIG_HOME="+filepath.Join(home, "config"), "DOCKER_CONFIG="+filepath.Join(home, "docker"),
			"REGISTRY_AUTH_FILE=", "PATH="+path)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee):
			return out.String(), errb.String(), ee.ExitCode()
		case err != nil:
			t.Fatalf("skopeo %v: %v", args, err)
		}
		return out.String(), errb.String(), 0
	}
}

// ociImage is an OCI image in an OCI layout, which skopeo 1.9 reads (it
// skips Docker manifests in a layout).
func ociImage(t *testing.T) string {
	return writeOCI(t, t.TempDir(), "img", testimage.New(testimage.Options{Seed: 12}))
}

// TestLoginSkopeoFiles: skopeo is the oracle for the files. What skopeo
// login writes, ferry reads and pushes with; what ferry login writes,
// skopeo reads and pushes with; what ferry logout removes, skopeo no
// longer finds.
func TestLoginSkopeoFiles(t *testing.T) {
	skopeo := skopeoRunner(t, os.Getenv("PATH"))
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{Basic: loginAlice})
	host := reg.Host()
	src := ociImage(t)
	f := filepath.Join(t.TempDir(), "auth.json")
	skopeoPush := func(repo string) (string, int) {
		_, stderr, code := skopeo("--insecure-policy", "copy", "--authfile", f, "--dest-tls-verify=false", src, "docker://"+host+"/"+repo)
		return stderr, code
	}

	// skopeo writes, ferry reads.
	if _, stderr, code := skopeo("login", "--tls-verify=false", "--authfile", f, "-u", "alice", "-p", "s3cret-pass", host); code != 0 {
		t.Fatalf("skopeo login: exit %d: %s", code, stderr)
	}
	mustRun(t, "copy", "--authfile", f, "--dest-tls-verify=false", src, "docker://"+host+"/by-ferry:1")
	if got := mustRun(t, "login", "--tls-verify=false", "--authfile", f, host); !strings.Contains(got, "Already logged in to "+host) {
		t.Errorf("ferry login after skopeo's: %q", got)
	}

	// ferry removes, skopeo sees it gone.
	mustRun(t, "logout", "--authfile", f, host)
	if out, _, code := skopeo("login", "--tls-verify=false", "--authfile", f, "--get-login", host); code == 0 {
		t.Fatalf("skopeo still finds a login after ferry logout: %q", out)
	}
	if stderr, code := skopeoPush("by-skopeo:0"); code == 0 || !strings.Contains(stderr, "authentication required") {
		t.Fatalf("skopeo pushed after ferry logout (exit %d): %s", code, stderr)
	}

	// ferry writes, skopeo reads: a host login and a namespaced one.
	mustRun(t, "login", "--tls-verify=false", "--authfile", f, "-u", "alice", "-p", "s3cret-pass", host)
	if stderr, code := skopeoPush("by-skopeo:1"); code != 0 {
		t.Fatalf("skopeo push with ferry's login: exit %d: %s", code, stderr)
	}
	mustRun(t, "login", "--tls-verify=false", "--authfile", f, "-u", "alice", "-p", "s3cret-pass", host+"/team/app")
	if out, stderr, code := skopeo("login", "--tls-verify=false", "--authfile", f, "--get-login", host+"/team/app"); code != 0 || out != "alice\n" {
		t.Fatalf("skopeo --get-login of ferry's namespaced login: exit %d, %q, %s", code, out, stderr)
	}
	if out, stderr, code := skopeo("logout", "--authfile", f, host+"/team/app"); code != 0 || out != "Removed login credentials for "+host+"/team/app\n" {
		t.Fatalf("skopeo logout of ferry's namespaced login: exit %d, %q, %s", code, out, stderr)
	}
	mustRun(t, "logout", "--authfile", f, "--all")
	if stderr, code := skopeoPush("by-skopeo:2"); code == 0 {
		t.Fatalf("skopeo pushed after ferry logout --all: %s", stderr)
	}
}

// TestLoginCredentialHelper: with credHelpers naming a helper for the
// registry, ferry login gives the secret to the helper (a real executable
// speaking the docker-credential protocol) and the file holds none; ferry
// and skopeo push through it; ferry logout erases it. Not parallel: the
// helper is found on $PATH.
func TestLoginCredentialHelper(t *testing.T) {
	reg := testregistry.New(t, testregistry.Options{Basic: loginAlice})
	host := reg.Host()
	h := testenv.NewCredentialHelper(t, "ferrytest")
	path := h.Dir + string(os.PathListSeparator) + os.Getenv("PATH")
	t.Setenv("PATH", path)
	f := filepath.Join(t.TempDir(), "auth.json")
	if err := os.WriteFile(f, []byte(`{"credHelpers":{"`+host+`":"ferrytest"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	src := ociImage(t)
	if got := mustRun(t, "login", "--tls-verify=false", "--authfile", f, "-v", "-u", "alice", "-p", "s3cret-pass", host); got != "Used:  docker-credential-ferrytest\nLogin Succeeded!\n" {
		t.Errorf("login printed %q", got)
	}
	if s := readAuths(t, f); strings.Contains(s, "s3cret-pass") || strings.Contains(s, `"auth"`) {
		t.Fatalf("the secret went into the file:\n%s", s)
	}
	if !h.Holds(t, host) {
		t.Fatalf("the helper holds %v", h.Servers(t))
	}
	mustRun(t, "copy", "--authfile", f, "--dest-tls-verify=false", src, "docker://"+host+"/helped:1")
	if _, err := exec.LookPath("skopeo"); err == nil || os.Getenv("CI") != "" {
		skopeo := skopeoRunner(t, path)
		if _, stderr, code := skopeo("--insecure-policy", "copy", "--authfile", f, "--dest-tls-verify=false", src, "docker://"+host+"/helped:2"); code != 0 {
			t.Fatalf("skopeo push through the helper ferry filled: exit %d: %s", code, stderr)
		}
	}
	mustRun(t, "logout", "--authfile", f, host)
	if h.Holds(t, host) {
		t.Fatal("logout left the secret in the helper")
	}
	if _, stderr, code := runCLI(t, "copy", "--authfile", f, "--dest-tls-verify=false", src, "docker://"+host+"/helped:3"); code != 1 {
		t.Fatalf("push after logout: exit %d: %s", code, stderr)
	}
}
