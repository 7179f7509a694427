package registriesd

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
	"github.com/google/go-cmp/cmp"
)

const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func named(t *testing.T, s string) reference.Named {
	t.Helper()
	n, err := reference.ParseNamed(s, true)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// writeDir writes files (name → YAML) into a new directory.
func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestScopes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"busybox", []string{"docker.io/library/busybox:latest", "docker.io/library/busybox", "docker.io/library", "docker.io", "*.io"}},
		{"localhost:5000/a/b@sha256:" + hex64, []string{"localhost:5000/a/b@sha256:" + hex64, "localhost:5000/a/b", "localhost:5000/a", "localhost:5000"}},
		{"reg.example.com:8443/ns/app:1", []string{"reg.example.com:8443/ns/app:1", "reg.example.com:8443/ns/app", "reg.example.com:8443/ns", "reg.example.com:8443", "*.example.com", "*.com"}},
	} {
		if diff := cmp.Diff(tc.want, Scopes(named(t, tc.name))); diff != "" {
			t.Errorf("Scopes(%s) (-want +got):\n%s", tc.name, diff)
		}
	}
}

// TestLookaside: the most specific scope with a URL for the purpose wins,
// then default-docker, then the built-in default; the repository path is
// appended.
func TestLookaside(t *testing.T) {
	t.Parallel()
	const def = "file:///default"
	files := map[string]string{
		"a.yaml": `
default-docker:
  lookaside: https://default.example/sigs
docker:
  reg.example.com:
    lookaside: https://host.example/sigs
    lookaside-staging: file:///staging/host
  reg.example.com/team/app:
    sigstore: https://repo.example/old-name
    sigstore-staging: file:///staging/old-name
  reg.example.com/team/app:v2:
    lookaside: https://tag.example/sigs
    sigstore: https://ignored.example
  reg.example.com/team:
    use-sigstore-attachments: true
`,
		"b.yaml": `
docker:
  "*.wild.example":
    lookaside: file:///wild
  localhost:5000:
    lookaside: file:///local5000
  localhost:
    lookaside: file:///portless
  only.example/x:
    use-sigstore-attachments: false
  only.example:
    lookaside: file:///only
    future-key: ignored, as containers/image ignores unknown keys
`,
		"notes.txt":   "default-docker: [this is not read",
		"skipped.yml": "default-docker: [neither is this",
	}
	c, err := Load(Options{Dir: writeDir(t, files), DefaultLookaside: def})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		write bool
		want  string
	}{
		{"reg.example.com/team/app:v2", false, "https://tag.example/sigs/team/app"},
		{"reg.example.com/team/app:v2", true, "https://tag.example/sigs/team/app"},
		{"reg.example.com/team/app:v1", false, "https://repo.example/old-name/team/app"},
		{"reg.example.com/team/app:v1", true, "file:///staging/old-name/team/app"},
		{"reg.example.com/team/other:1", false, "https://host.example/sigs/team/other"}, // team has no URL: on to the host
		{"reg.example.com/team/other:1", true, "file:///staging/host/team/other"},
		{"reg.example.com/x@sha256:" + hex64, false, "https://host.example/sigs/x"},
		{"a.b.wild.example/app:1", false, "file:///wild/app"},
		{"localhost:5000/app:1", false, "file:///local5000/app"},
		{"localhost:5001/app:1", false, "https://default.example/sigs/app"}, // the port-less host is no parent
		{"only.example/x:1", true, "file:///only/x"},
		{"busybox", false, "https://default.example/sigs/library/busybox"},
	} {
		u, err := c.Lookaside(named(t, tc.name), tc.write)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if u.String() != tc.want {
			t.Errorf("Lookaside(%s, write=%v) = %s, want %s", tc.name, tc.write, u, tc.want)
		}
	}
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"reg.example.com/team/app:1", true}, // from reg.example.com/team
		{"reg.example.com/other:1", false},
		{"only.example/x:1", false},
	} {
		got, err := c.UseSigstoreAttachments(named(t, tc.name))
		if err != nil || got != tc.want {
			t.Errorf("UseSigstoreAttachments(%s) = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	// No file at all: the built-in default, as for a nil Config.
	c, err := Load(Options{Dir: filepath.Join(t.TempDir(), "absent"), DefaultLookaside: "file:///var/lib/containers/sigstore"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := c.Lookaside(named(t, "quay.io/org/app:1"), true)
	if err != nil || u.String() != "file:///var/lib/containers/sigstore/org/app" {
		t.Errorf("Lookaside with no files = %v, %v", u, err)
	}
	var none *Config
	u, err = none.Lookaside(named(t, "quay.io/org/app:1"), false)
	if err != nil || u.String() != Default()+"/org/app" {
		t.Errorf("nil Config: Lookaside = %v, %v; want %s/org/app", u, err, Default())
	}
	if got := defaultFor(0, "/root"); got != "file:///var/lib/containers/sigstore" {
		t.Errorf("root's default = %s", got)
	}
	if got := defaultFor(1000, "/home/u"); got != "file:///home/u/.local/share/containers/sigstore" {
		t.Errorf("a user's default = %s", got)
	}
}

// TestDirChoice: the user's directory when it exists, else the first
// system directory that exists; --registries.d replaces the search.
func TestDirChoice(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	user := filepath.Join(home, "containers", "registries.d")
	etc := writeDir(t, map[string]string{"x.yaml": "default-docker: {lookaside: file:///etc-dir}"})
	usr := writeDir(t, map[string]string{"x.yaml": "default-docker: {lookaside: file:///usr-dir}"})
	explicit := writeDir(t, map[string]string{"x.yaml": "default-docker: {lookaside: file:///explicit}"})
	lookup := func(o Options) string {
		t.Helper()
		c, err := Load(o)
		if err != nil {
			t.Fatal(err)
		}
		u, err := c.Lookaside(named(t, "r.example/app:1"), false)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSuffix(u.String(), "/app")
	}
	missing := filepath.Join(t.TempDir(), "missing")
	if got := lookup(Options{ConfigHome: home, SystemDirs: []string{etc, usr}}); got != "file:///etc-dir" {
		t.Errorf("no user directory: %s, want the first system directory's", got)
	}
	if got := lookup(Options{ConfigHome: home, SystemDirs: []string{missing, usr}}); got != "file:///usr-dir" {
		t.Errorf("no user or /etc directory: %s, want /usr/share's", got)
	}
	if err := os.MkdirAll(user, 0o755); err != nil {
		t.Fatal(err)
	}
	// An existing user directory, even empty, hides the system ones.
	if got := lookup(Options{ConfigHome: home, SystemDirs: []string{etc, usr}, DefaultLookaside: "file:///builtin"}); got != "file:///builtin" {
		t.Errorf("empty user directory: %s, want the built-in default", got)
	}
	if got := lookup(Options{Dir: explicit, ConfigHome: home, SystemDirs: []string{etc}}); got != "file:///explicit" {
		t.Errorf("--registries.d: %s", got)
	}
	c, _ := Load(Options{Dir: explicit})
	if c.Dir() != explicit {
		t.Errorf("Dir() = %q, want %q", c.Dir(), explicit)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"default twice", map[string]string{"a.yaml": "default-docker: {lookaside: file:///a}", "b.yaml": "default-docker: {lookaside: file:///b}"},
			`"default-docker" is defined both in`},
		{"scope twice", map[string]string{"a.yaml": "docker: {r.example: {lookaside: file:///a}}", "b.yaml": "docker: {r.example: {use-sigstore-attachments: true}}"},
			`the "docker" scope "r.example" is defined both in`},
		{"bad yaml", map[string]string{"a.yaml": "docker: [unclosed"}, "a.yaml"},
		{"key twice in a file", map[string]string{"a.yaml": "docker:\n  r.example: {lookaside: file:///a}\n  r.example: {lookaside: file:///b}\n"}, "already defined"},
		{"wrong type", map[string]string{"a.yaml": "docker: {r.example: {use-sigstore-attachments: maybe}}"}, "a.yaml"},
	} {
		dir := writeDir(t, tc.files)
		_, err := Load(Options{Dir: dir})
		if err == nil || !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want ErrInvalidArgument mentioning %q", tc.name, err, tc.want)
		}
		// Lazy defers the failure to the first lookup.
		c := Lazy(Options{Dir: dir})
		if _, err := c.Lookaside(named(t, "r.example/app:1"), false); err == nil {
			t.Errorf("%s: Lazy lookup succeeded", tc.name)
		}
	}
	c, err := Load(Options{Dir: writeDir(t, map[string]string{"a.yaml": "default-docker: {lookaside: \"http://[::1\"}"})})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Lookaside(named(t, "r.example/app:1"), false); err == nil || !strings.Contains(err.Error(), "invalid lookaside URL") {
		t.Errorf("bad URL: got %v", err)
	}
}
