package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/internal/testregistry"
)

var loginAlice = &testregistry.Creds{Username: "alice", Password: "s3cret-pass"}

// loginRun runs ferry with stdin (when not "") as standard input, tty
// saying whether it is a terminal, and typed what is typed at a password
// prompt.
func loginRun(t *testing.T, stdin string, tty bool, typed string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	a := newApp(&out, &errb)
	if stdin != "" {
		p := filepath.Join(t.TempDir(), "stdin")
		if err := os.WriteFile(p, []byte(stdin), 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		a.stdin = f
	}
	a.isTerminal = func(int) bool { return tty }
	a.readPassword = func(int) ([]byte, error) { return []byte(typed), nil }
	code = a.run(context.Background(), args)
	return out.String(), errb.String(), code
}

// mustRun runs ferry and fails the test unless it exits 0.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	stdout, stderr, code := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("ferry %s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	return stdout
}

func readAuths(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestLogin runs login against a real htpasswd registry, each case with an
// auth file of its own.
func TestLogin(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{Basic: loginAlice})
	host := reg.Host()
	entry := base64.StdEncoding.EncodeToString([]byte("alice:s3cret-pass"))

	t.Run("wrong password writes nothing", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		fresh := filepath.Join(dir, "new", "auth.json")
		_, stderr, code := runCLI(t, "login", "--tls-verify=false", "--authfile", fresh, "-u", "alice", "-p", "wrong", host)
		if code != 1 {
			t.Fatalf("exit %d, want 1: %s", code, stderr)
		}
		wantOneLine(t, stderr, "authentication required")
		if strings.Contains(stderr, "wrong") {
			t.Errorf("the password was printed: %s", stderr)
		}
		if _, err := os.Stat(filepath.Dir(fresh)); !os.IsNotExist(err) {
			t.Errorf("a refused login created %s: %v", filepath.Dir(fresh), err)
		}
		// An existing file keeps every byte.
		existing := filepath.Join(dir, "auth.json")
		before := `{"auths":{"other.io":{"auth":"eDp5"}}}`
		if err := os.WriteFile(existing, []byte(before), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, stderr, code := runCLI(t, "login", "--tls-verify=false", "--authfile", existing, "-u", "alice", "-p", "wrong", host); code != 1 {
			t.Fatalf("exit %d, want 1: %s", code, stderr)
		}
		if got := readAuths(t, existing); got != before {
			t.Errorf("a refused login changed the file:\n%s", got)
		}
	})

	t.Run("login, already logged in, get-login, verbose", func(t *testing.T) {
		t.Parallel()
		f := filepath.Join(t.TempDir(), "dir", "auth.json")
		if got := mustRun(t, "login", "--tls-verify=false", "--authfile", f, "-u", "alice", "-p", "s3cret-pass", host); got != "Login Succeeded!\n" {
			t.Errorf("stdout %q", got)
		}
		if s := readAuths(t, f); !strings.Contains(s, `"`+host+`": {`) || !strings.Contains(s, entry) {
			t.Errorf("auth file:\n%s", s)
		}
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("file mode %v, %v; want 0600", fi.Mode(), err)
		}
		if fi, err := os.Stat(filepath.Dir(f)); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("directory mode %v, %v; want 0700", fi.Mode(), err)
		}
		want := "Authenticating with existing credentials for " + host + "\nExisting credentials are valid. Already logged in to " + host + "\n"
		if got := mustRun(t, "login", "--tls-verify=false", "--authfile", f, host); got != want {
			t.Errorf("second login printed %q, want %q", got, want)
		}
		if got := mustRun(t, "login", "--tls-verify=false", "--authfile", f, "--get-login", host+"/any/repo"); got != "alice\n" {
			t.Errorf("--get-login printed %q", got)
		}
		if got := mustRun(t, "login", "--tls-verify=false", "--authfile", f, "-v", "-u", "alice", "-p", "s3cret-pass", host+"/team/app"); got != "Used:  "+f+"\nLogin Succeeded!\n" {
			t.Errorf("-v printed %q", got)
		}
		if s := readAuths(t, f); !strings.Contains(s, `"`+host+`/team/app": {`) {
			t.Errorf("no namespaced key:\n%s", s)
		}
		_, stderr, code := runCLI(t, "login", "--tls-verify=false", "--authfile", f, "--get-login", "127.0.0.1:1")
		if code != 1 {
			t.Fatalf("--get-login without a login: exit %d", code)
		}
		wantOneLine(t, stderr, "not logged into 127.0.0.1:1")
	})

	t.Run("password on stdin and on the terminal", func(t *testing.T) {
		t.Parallel()
		f := filepath.Join(t.TempDir(), "auth.json")
		stdout, stderr, code := loginRun(t, "s3cret-pass\n", false, "", "login", "--tls-verify=false", "--authfile", f, "-u", "alice", "--password-stdin", host)
		if code != 0 || stdout != "Login Succeeded!\n" {
			t.Fatalf("--password-stdin: exit %d, %q, %s", code, stdout, stderr)
		}
		g := filepath.Join(t.TempDir(), "auth.json")
		stdout, stderr, code = loginRun(t, "alice\n", true, "s3cret-pass", "login", "--tls-verify=false", "--authfile", g, host)
		if code != 0 || stdout != "Login Succeeded!\n" || !strings.Contains(stderr, "Username: ") || !strings.Contains(stderr, "Password: ") {
			t.Fatalf("prompted login: exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
		if s := readAuths(t, g); !strings.Contains(s, entry) {
			t.Errorf("auth file:\n%s", s)
		}
		// Stored credentials that stopped working: said, then asked for.
		stale := filepath.Join(t.TempDir(), "auth.json")
		old := base64.StdEncoding.EncodeToString([]byte("alice:old"))
		if err := os.WriteFile(stale, []byte(`{"auths":{"`+host+`":{"auth":"`+old+`"}}}`), 0o600); err != nil {
			t.Fatal(err)
		}
		stdout, stderr, code = loginRun(t, "\n", true, "s3cret-pass", "login", "--tls-verify=false", "--authfile", stale, host)
		if code != 0 || !strings.Contains(stdout, "Existing credentials are invalid, please enter valid username and password\n") ||
			!strings.HasSuffix(stdout, "Login Succeeded!\n") || !strings.Contains(stderr, "Username (alice): ") {
			t.Fatalf("stale login: exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
	})

	for _, tc := range []struct {
		name, stdin string
		args        []string
		want        string
	}{
		{"no terminal to ask a password", "", []string{"-u", "alice", host}, "not a terminal"},
		{"no terminal to ask a user name", "", []string{host}, "not a terminal"},
		{"a tag", "", []string{"-u", "alice", "-p", "x", host + "/app:1"}, "names a tag or digest"},
		{"not a registry", "", []string{"-u", "alice", "-p", "x", "nginx"}, "is not a registry"},
		{"stdin and password", "x\n", []string{"-u", "alice", "-p", "x", "--password-stdin", host}, "cannot be used together"},
		{"stdin without user", "x\n", []string{"--password-stdin", host}, "--password-stdin needs --username"},
		{"two files", "", []string{"-u", "a", "-p", "x", "--compat-auth-file", "/nonexistent/c.json", host}, "cannot be used together"},
		{"two registries", "", []string{host, host}, "only one registry"},
		{"no registry", "", nil, "please provide a registry"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := filepath.Join(t.TempDir(), "auth.json")
			args := append([]string{"login", "--tls-verify=false", "--authfile", f}, tc.args...)
			_, stderr, code := loginRun(t, tc.stdin, false, "", args...)
			if code != 1 || !strings.HasPrefix(stderr, "ferry: ") || !strings.Contains(strings.SplitN(stderr, "\n", 2)[0], tc.want) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr, tc.want)
			}
			if _, err := os.Stat(f); !os.IsNotExist(err) {
				t.Errorf("a failed login wrote %s", f)
			}
		})
	}
}

// TestLoginCopyLogout: a login's credentials are what copies use, a
// logout's removal is what they see; pushes to the htpasswd registry work
// between the two and are refused after.
func TestLoginCopyLogout(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{Basic: loginAlice})
	host := reg.Host()
	src := newOCIFixture(t).single
	f := filepath.Join(t.TempDir(), "auth.json")
	push := func() (string, int) {
		_, stderr, code := runCLI(t, "copy", "-q", "--authfile", f, "--dest-tls-verify=false", src, "docker://"+host+"/app:1")
		return stderr, code
	}
	mustRun(t, "login", "--tls-verify=false", "--authfile", f, "-u", "alice", "-p", "s3cret-pass", host)
	if stderr, code := push(); code != 0 {
		t.Fatalf("push after login: exit %d: %s", code, stderr)
	}
	if got := mustRun(t, "logout", "--authfile", f, host); got != "Removed login credentials for "+host+"\n" {
		t.Errorf("logout printed %q", got)
	}
	stderr, code := push()
	if code != 1 {
		t.Fatalf("push after logout: exit %d, want 1: %s", code, stderr)
	}
	wantOneLine(t, stderr, "authentication required")
	_, stderr, code = runCLI(t, "logout", "--authfile", f, host)
	if code != 1 {
		t.Fatalf("second logout: exit %d, want 1", code)
	}
	wantOneLine(t, stderr, "not logged into "+host)
	_, stderr, code = runCLI(t, "logout", "--authfile", filepath.Join(t.TempDir(), "none.json"), host)
	if code != 1 {
		t.Fatalf("logout with a missing --authfile: exit %d, want 1", code)
	}
	wantOneLine(t, stderr, "no such file")
}

// TestLoginDebug: --debug says which file credentials and certificates
// come from, and never the secret.
func TestLoginDebug(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{TLS: true, Basic: loginAlice})
	f := filepath.Join(t.TempDir(), "auth.json")
	_, stderr, code := runCLI(t, "--debug", "login", "--cert-dir", reg.CertDir(), "--authfile", f, "-u", "alice", "-p", "s3cret-pass", reg.Host())
	if code != 0 {
		t.Fatalf("login: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "certificate directory") || !strings.Contains(stderr, reg.CertDir()) {
		t.Errorf("--debug login does not name the certificate directory:\n%s", stderr)
	}
	reg.Push(t, "app", "1", newOCIFixture(t).img)
	_, stderr, code = runCLI(t, "--debug", "list-tags", "--cert-dir", reg.CertDir(), "--authfile", f, "docker://"+reg.Host()+"/app")
	if code != 0 {
		t.Fatalf("list-tags: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "registry credentials") || !strings.Contains(stderr, "from="+f) {
		t.Errorf("--debug does not name the credential file:\n%s", stderr)
	}
	for _, secret := range []string{"s3cret-pass", base64.StdEncoding.EncodeToString([]byte("alice:s3cret-pass"))} {
		if strings.Contains(stderr, secret) {
			t.Errorf("--debug printed the secret %q", secret)
		}
	}
}

// TestLoginDefaultFile: without --authfile, login writes where skopeo's
// does: $REGISTRY_AUTH_FILE, else $DOCKER_CONFIG/config.json when set,
// else $XDG_RUNTIME_DIR/containers/auth.json. Not parallel: it sets the
// environment.
func TestLoginDefaultFile(t *testing.T) {
	reg := testregistry.New(t, testregistry.Options{Basic: loginAlice})
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_RUNTIME_DIR", filepath.Join(home, "run"))
	t.Setenv("REGISTRY_AUTH_FILE", "")
	t.Setenv("DOCKER_CONFIG", "")
	mustRun(t, "login", "--tls-verify=false", "-u", "alice", "-p", "s3cret-pass", reg.Host())
	if s := readAuths(t, filepath.Join(home, "run", "containers", "auth.json")); !strings.Contains(s, reg.Host()) {
		t.Errorf("auth file:\n%s", s)
	}
	// Credentials Docker wrote are not ferry's to remove: skopeo's pointer
	// to docker logout while the registry accepts them, else not logged in.
	mustRun(t, "logout", reg.Host())
	dockerCfg := filepath.Join(home, ".docker", "config.json")
	for _, tc := range []struct {
		password, stdout string
		code             int
	}{
		{"s3cret-pass", "Not logged into " + reg.Host() + " with current tool. Existing credentials were established via docker login. Please use docker logout instead.\n", 0},
		{"stale", "", 1},
	} {
		if err := os.MkdirAll(filepath.Dir(dockerCfg), 0o700); err != nil {
			t.Fatal(err)
		}
		auth := base64.StdEncoding.EncodeToString([]byte("alice:" + tc.password))
		if err := os.WriteFile(dockerCfg, []byte(`{"auths":{"`+reg.Host()+`":{"auth":"`+auth+`"}}}`), 0o600); err != nil {
			t.Fatal(err)
		}
		stdout, stderr, code := runCLI(t, "logout", "--tls-verify=false", reg.Host())
		if stdout != tc.stdout || code != tc.code {
			t.Errorf("logout with Docker's login (password %s): exit %d, %q, %s", tc.password, code, stdout, stderr)
		}
		if b, _ := os.ReadFile(dockerCfg); !strings.Contains(string(b), auth) {
			t.Errorf("logout changed Docker's file:\n%s", b)
		}
	}
	if err := os.Remove(dockerCfg); err != nil {
		t.Fatal(err)
	}

	t.Setenv("DOCKER_CONFIG", filepath.Join(home, "dockercfg"))
	mustRun(t, "login", "--tls-verify=false", "-u", "alice", "-p", "s3cret-pass", reg.Host()+"/docker")
	if s := readAuths(t, filepath.Join(home, "dockercfg", "config.json")); !strings.Contains(s, reg.Host()+"/docker") {
		t.Errorf("$DOCKER_CONFIG/config.json:\n%s", s)
	}
	env := filepath.Join(home, "env.json")
	t.Setenv("REGISTRY_AUTH_FILE", env)
	mustRun(t, "login", "--tls-verify=false", "-u", "alice", "-p", "s3cret-pass", reg.Host()+"/team")
	if s := readAuths(t, env); !strings.Contains(s, reg.Host()+"/team") {
		t.Errorf("$REGISTRY_AUTH_FILE:\n%s", s)
	}
	mustRun(t, "logout", "--all")
	if s := readAuths(t, env); strings.Contains(s, reg.Host()) {
		t.Errorf("logout --all left:\n%s", s)
	}
	// --compat-auth-file writes Docker's file.
	docker := filepath.Join(home, ".docker", "config.json")
	mustRun(t, "login", "--tls-verify=false", "--compat-auth-file", docker, "-u", "alice", "-p", "s3cret-pass", reg.Host())
	if s := readAuths(t, docker); !strings.Contains(s, reg.Host()) {
		t.Errorf("Docker's config.json:\n%s", s)
	}
}
