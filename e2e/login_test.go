package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoginWalkthrough is the README's "Logging in" walk-through against
// Debian's docker-registry with htpasswd auth: a refused login writes
// nothing, a login without a terminal to ask on is refused, a login
// lets a push through, a logout makes the next push refused. Over plain
// HTTP as the README does it, and over TLS with the registry's CA found in
// $XDG_CONFIG_HOME/containers/certs.d/HOST:PORT (no --cert-dir, no
// --tls-verify=false).
func TestLoginWalkthrough(t *testing.T) {
	for _, tc := range []struct {
		name string
		tls  bool
	}{
		{"plain HTTP", false},
		{"TLS with certs.d", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := startRegistry(t, registryOptions{tls: tc.tls, user: "alice", password: "s3cret-pass"})
			home := t.TempDir()
			authFile := filepath.Join(home, "run", "containers", "auth.json")
			env := []string{"HOME=" + home, "XDG_RUNTIME_DIR=" + filepath.Join(home, "run"), "XDG_CONFIG_HOME=" + filepath.Join(home, "config"), "DOCKER_CONFIG="}
			var tlsFlag, destTLS []string
			if tc.tls {
				certs := filepath.Join(home, "config", "containers", "certs.d", reg.host)
				if err := os.MkdirAll(certs, 0o700); err != nil {
					t.Fatal(err)
				}
				b, err := os.ReadFile(filepath.Join(reg.certDir, "ca.crt"))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(certs, "ca.crt"), b, 0o600); err != nil {
					t.Fatal(err)
				}
			} else {
				tlsFlag, destTLS = []string{"--tls-verify=false"}, []string{"--dest-tls-verify=false"}
			}
			ferryIn := func(want int, args ...string) result {
				t.Helper()
				r := run(t, env, ferryBin, args...)
				if r.code != want {
					t.Fatalf("ferry %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
				}
				return r
			}
			login := func(want int, args ...string) result {
				t.Helper()
				return ferryIn(want, append(append([]string{"login"}, tlsFlag...), append(args, reg.host)...)...)
			}
			push := func(want int, tag string) result {
				t.Helper()
				// -q: the walk-through checks the error line; skopeo's status
				// lines (stderr in ferry) are checked elsewhere.
				return ferryIn(want, append(append([]string{"copy", "-q"}, destTLS...), sample, "docker://"+reg.host+"/sample:"+tag)...)
			}

			r := login(1, "-u", "alice", "-p", "wrong-pass-123")
			oneLine(t, r)
			if !strings.Contains(r.stderr, "authentication required") || strings.Contains(r.stderr, "wrong-pass-123") {
				t.Errorf("refused login said %q", r.stderr)
			}
			if _, err := os.Stat(filepath.Dir(authFile)); !os.IsNotExist(err) {
				t.Errorf("a refused login wrote %s", filepath.Dir(authFile))
			}
			oneLine(t, login(1, "-u", "alice")) // no terminal to ask for the password on

			if r := login(0, "-u", "alice", "-p", "s3cret-pass"); r.stdout != "Login Succeeded!\n" {
				t.Errorf("login printed %q", r.stdout)
			}
			if fi, err := os.Stat(authFile); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: %v, %v; want mode 0600", authFile, fi, err)
			}
			push(0, "1")
			if r := ferryIn(0, "logout", reg.host); r.stdout != "Removed login credentials for "+reg.host+"\n" {
				t.Errorf("logout printed %q", r.stdout)
			}
			r = push(1, "2")
			oneLine(t, r)
			if !strings.Contains(r.stderr, "authentication required") {
				t.Errorf("push after logout said %q", r.stderr)
			}
			oneLine(t, ferryIn(1, "logout", reg.host))
		})
	}
}
