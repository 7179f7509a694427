package registriesconf

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

// tree is a fake machine: a home, /etc/containers and
// /usr/share/containers under one temporary directory.
type tree struct {
	root string
	env  map[string]string
}

func newTree(t *testing.T) *tree {
	return &tree{root: t.TempDir(), env: map[string]string{}}
}

func (tr *tree) write(t *testing.T, rel, text string) string {
	t.Helper()
	p := filepath.Join(tr.root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func (tr *tree) options(uid int) Options {
	return Options{
		LookupEnv:  func(k string) (string, bool) { v, ok := tr.env[k]; return v, ok },
		Home:       filepath.Join(tr.root, "home"),
		SystemDirs: []string{filepath.Join(tr.root, "etc"), filepath.Join(tr.root, "usr")},
		UID:        &uid,
	}
}

// search is the search list a configuration ends with, and where from.
func search(t *testing.T, o Options) (string, string) {
	t.Helper()
	c, err := Load(o)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	m, _ := c.get()
	return strings.Join(m.search, ","), m.searchOrigin
}

func usr(s string) string { return "unqualified-search-registries = [\"" + s + "\"]\n" }

func TestLookupOrder(t *testing.T) {
	t.Parallel()
	t.Run("first main file found", func(t *testing.T) {
		t.Parallel()
		tr := newTree(t)
		tr.write(t, "usr/registries.conf", usr("usr.example"))
		if got, _ := search(t, tr.options(0)); got != "usr.example" {
			t.Errorf("only /usr/share: %q", got)
		}
		tr.write(t, "etc/registries.conf", usr("etc.example"))
		if got, _ := search(t, tr.options(0)); got != "etc.example" {
			t.Errorf("/etc over /usr/share: %q", got)
		}
		p := tr.write(t, "home/.config/containers/registries.conf", usr("home.example"))
		if got, from := search(t, tr.options(0)); got != "home.example" || from != p {
			t.Errorf("user file over /etc: %q from %s", got, from)
		}
		tr.env["XDG_CONFIG_HOME"] = filepath.Join(tr.root, "xdg")
		if got, _ := search(t, tr.options(0)); got != "etc.example" {
			t.Errorf("XDG_CONFIG_HOME without a file there falls back to /etc: %q", got)
		}
		tr.write(t, "xdg/containers/registries.conf", usr("xdg.example"))
		if got, _ := search(t, tr.options(0)); got != "xdg.example" {
			t.Errorf("XDG_CONFIG_HOME: %q", got)
		}
	})
	t.Run("drop-ins in basename order, later directory wins a name", func(t *testing.T) {
		t.Parallel()
		tr := newTree(t)
		tr.write(t, "etc/registries.conf", usr("main.example"))
		tr.write(t, "usr/registries.conf.d/10-a.conf", usr("usr-10.example"))
		tr.write(t, "usr/registries.conf.d/30-c.conf", usr("usr-30.example"))
		tr.write(t, "etc/registries.conf.d/30-c.conf", usr("etc-30.example"))
		tr.write(t, "etc/registries.conf.d/20-b.conf", usr("etc-20.example"))
		tr.write(t, "etc/registries.conf.d/99-z.conf.disabled", usr("ignored.example"))
		tr.write(t, "etc/registries.conf.d/sub/50.conf", usr("ignored.example"))
		c, err := Load(tr.options(0))
		if err != nil {
			t.Fatal(err)
		}
		files, _ := c.Files()
		var rel []string
		for _, f := range files {
			r, _ := filepath.Rel(tr.root, f)
			rel = append(rel, r)
		}
		want := []string{"etc/registries.conf", "usr/registries.conf.d/10-a.conf", "etc/registries.conf.d/20-b.conf", "etc/registries.conf.d/30-c.conf"}
		if diff := cmp.Diff(want, rel); diff != "" {
			t.Errorf("files read (-want +got):\n%s", diff)
		}
		if got, _ := search(t, tr.options(0)); got != "etc-30.example" {
			t.Errorf("search list from the last drop-in: %q", got)
		}
		tr.write(t, "home/.config/containers/registries.conf.d/30-c.conf", usr("home-30.example"))
		if got, _ := search(t, tr.options(0)); got != "home-30.example" {
			t.Errorf("the user's drop-in replaces the system one of its name: %q", got)
		}
	})
	t.Run("rootful and rootless drop-ins", func(t *testing.T) {
		t.Parallel()
		tr := newTree(t)
		tr.write(t, "etc/registries.rootful.conf.d/a.conf", usr("rootful.example"))
		tr.write(t, "etc/registries.rootless.conf.d/b.conf", usr("rootless.example"))
		tr.write(t, "etc/registries.rootless.conf.d/1000/c.conf", usr("uid1000.example"))
		if got, _ := search(t, tr.options(0)); got != "rootful.example" {
			t.Errorf("root: %q", got)
		}
		if got, _ := search(t, tr.options(1000)); got != "uid1000.example" {
			t.Errorf("uid 1000: %q", got)
		}
		if got, _ := search(t, tr.options(1001)); got != "rootless.example" {
			t.Errorf("uid 1001: %q", got)
		}
	})
	t.Run("CONTAINERS_REGISTRIES_CONF alone, then the override", func(t *testing.T) {
		t.Parallel()
		tr := newTree(t)
		tr.write(t, "etc/registries.conf", usr("etc.example"))
		tr.write(t, "etc/registries.conf.d/a.conf", "[aliases]\n\"x\" = \"dropin.example/x\"\n")
		tr.env[EnvPath] = tr.write(t, "env.conf", usr("env.example"))
		c, err := Load(tr.options(0))
		if err != nil {
			t.Fatal(err)
		}
		files, _ := c.Files()
		if len(files) != 1 || files[0] != tr.env[EnvPath] {
			t.Errorf("files read with %s: %v", EnvPath, files)
		}
		tr.env[EnvOverride] = tr.write(t, "override.conf", "short-name-mode = \"disabled\"\n")
		c, err = Load(tr.options(0))
		if err != nil {
			t.Fatal(err)
		}
		m, _ := c.get()
		if strings.Join(m.search, ",") != "env.example" || m.mode != Disabled || len(m.files) != 2 {
			t.Errorf("override: files %v, search %v, mode %q", m.files, m.search, m.mode)
		}
		// --registries-conf is read like CONTAINERS_REGISTRIES_CONF.
		o := tr.options(0)
		o.Path = tr.write(t, "flag.conf", usr("flag.example"))
		if got, _ := search(t, o); got != "flag.example" {
			t.Errorf("Path: %q", got)
		}
	})
	t.Run("a named file must exist", func(t *testing.T) {
		t.Parallel()
		tr := newTree(t)
		tr.env[EnvOverride] = filepath.Join(tr.root, "missing.conf")
		if _, err := Load(tr.options(0)); !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), "missing.conf does not exist") {
			t.Errorf("missing override: %v", err)
		}
	})
	t.Run("nothing at all", func(t *testing.T) {
		t.Parallel()
		tr := newTree(t)
		c, err := Load(tr.options(0))
		if err != nil {
			t.Fatal(err)
		}
		if files, _ := c.Files(); len(files) != 0 {
			t.Errorf("files: %v", files)
		}
	})
}

// TestMerge: a drop-in replaces a [[registry]] table of the same prefix
// whole, adds others, and erases an alias with "".
func TestMerge(t *testing.T) {
	t.Parallel()
	tr := newTree(t)
	tr.write(t, "etc/registries.conf", `
credential-helpers = ["pass"]
[[registry]]
location = "a.example"
[[registry.mirror]]
location = "old-mirror.example"
[[registry]]
location = "b.example"
insecure = true
[aliases]
"one" = "a.example/one"
"two" = "a.example/two"
`)
	tr.write(t, "etc/registries.conf.d/x.conf", `
unqualified-search-registries = []
[[registry]]
location = "a.example"
[[registry.mirror]]
location = "new-mirror.example"
[aliases]
"two" = ""
`)
	c, err := Load(tr.options(0))
	if err != nil {
		t.Fatal(err)
	}
	n, _ := reference.ParseNormalizedNamed("a.example/r:1")
	src, _ := c.PullSources(n)
	if diff := cmp.Diff([]string{"new-mirror.example/r:1 mirror", "a.example/r:1"}, sources(src)); diff != "" {
		t.Errorf("a.example (-want +got):\n%s", diff)
	}
	n, _ = reference.ParseNormalizedNamed("b.example/r:1")
	if insecure, _ := c.Endpoint(n); !insecure {
		t.Errorf("b.example lost its table")
	}
	if h, _ := c.CredentialHelpers(); len(h) != 1 || h[0] != "pass" {
		t.Errorf("credential helpers: %v", h)
	}
	if _, err := c.ResolveShortName("two", false); err == nil {
		t.Errorf("an erased alias still resolves (and the empty search list should refuse it)")
	}
	if r, err := c.ResolveShortName("one:1", false); err != nil || r.Candidates[0].String() != "a.example/one:1" {
		t.Errorf("alias one: %+v, %v", r, err)
	}
}

// TestV1: the old format's lists become tables.
func TestV1(t *testing.T) {
	t.Parallel()
	c := load(t, `
[registries.search]
registries = ['registry1.com', 'registry2.com']

[registries.insecure]
registries = ['registry3.com']

[registries.block]
registries = ['registry.untrusted.com', 'registry.unsafe.com']
`)
	n, _ := reference.ParseNormalizedNamed("registry3.com/x:1")
	if insecure, err := c.Endpoint(n); err != nil || !insecure {
		t.Errorf("insecure registry: %v %v", insecure, err)
	}
	n, _ = reference.ParseNormalizedNamed("registry.unsafe.com/x:1")
	if _, err := c.PullSources(n); !errors.Is(err, errdefs.ErrDenied) {
		t.Errorf("blocked registry: %v", err)
	}
	r, err := c.ResolveShortName("x", false)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range r.Candidates {
		got = append(got, n.String())
	}
	if diff := cmp.Diff([]string{"registry1.com/x:latest", "registry2.com/x:latest"}, got); diff != "" {
		t.Errorf("search (-want +got):\n%s", diff)
	}
}

// TestErrors: a bad file is refused in one sentence naming the file and
// the line.
func TestErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, text string
		dropIn     bool
		want       string
	}{
		{"syntax", "[[registry]]\nlocation = \"a.example\"\ninsecure = tru\n", false, "line 3: "},
		{"unterminated", "unqualified-search-registries = [\"a\"\n[[registry]]\n", false, "line 2"},
		{"wrong type", "[[registry]]\nlocation = \"a.example\"\n\ninsecure = \"yes\"\n", false, "line 4"},
		{"unknown top-level key", "# c\nunqualified-search-registry = [\"a.example\"]\n", false, `line 2: unknown key "unqualified-search-registry"`},
		{"unknown registry key", "[[registry]]\nlocation = \"a\"\n[[registry]]\nlocation = \"b\"\nmirrors = []\n", false, `line 5: unknown key "registry.mirrors"`},
		{"unknown mirror key", "[[registry]]\nlocation = \"a\"\n[[registry.mirror]]\nlocation = \"m\"\nblocked = true\n", false, `line 5: unknown key "registry.mirror.blocked"`},
		{"unknown key after a multi-line array", "unqualified-search-registries = [\n  \"a.example\",\n]\n\nshort-name-mod = \"x\"\n", false, `line 5: unknown key "short-name-mod"`},
		{"unknown key after a multi-line string", "credential-helpers = [\"\"\"\nx = 1\n\"\"\"]\nbogus = 2\n", false, `line 4: unknown key "bogus"`},
		{"unknown table with a quoted dotted key", "[aliases]\nx = \"a.example/x\"\n\n[other]\n\"quoted.part\".y = 1\n", false, `line 4: unknown key "other"`},
		{"unknown table", "\n[registry]\nlocation = \"a\"\n", false, "incompatible types"},
		{"unknown v1 table", "[registries.allow]\nregistries = []\n", false, `line 1: unknown key "registries.allow"`},
		{"url scheme", "[[registry]]\nprefix = \"a.example\"\nlocation = \"https://a.example\"\n", false, "line 3: \"https://a.example\": a location is host[:port][/path], without a URL scheme"},
		{"no location", "[[registry]]\ninsecure = true\n", false, "line 1: a [[registry]] table needs a location or a prefix"},
		{"prefix without location", "[[registry]]\nprefix = \"a.example/x\"\n", false, "line 2: prefix"},
		{"bad wildcard", "[[registry]]\nprefix = \"*.a.example/x\"\n", false, "line 2: wildcard prefix"},
		{"mirror without location", "[[registry]]\nlocation = \"a\"\n\n[[registry.mirror]]\ninsecure = true\n", false, "line 4: a mirror of \"a\" has no location"},
		{"bad pull-from-mirror", "[[registry]]\nlocation = \"a\"\n[[registry.mirror]]\nlocation = \"m\"\npull-from-mirror = \"sometimes\"\n", false, "line 5: pull-from-mirror \"sometimes\""},
		{"pull-from-mirror on the registry", "[[registry]]\nlocation = \"a\"\npull-from-mirror = \"all\"\n", false, "line 3: pull-from-mirror belongs"},
		{"digest-only twice", "[[registry]]\nlocation = \"a\"\nmirror-by-digest-only = true\n[[registry.mirror]]\nlocation = \"m\"\npull-from-mirror = \"all\"\n", false, "line 6: pull-from-mirror cannot be set"},
		{"conflicting insecure", "[[registry]]\nlocation = \"a\"\n[[registry]]\nprefix = \"b\"\nlocation = \"a\"\ninsecure = true\n", false, "line 3: registry \"a\" is defined again with other insecure or blocked settings than on line 1"},
		{"bad search entry", "unqualified-search-registries = [\"a.example/ns\"]\n", false, "line 1: unqualified-search-registries entry"},
		{"bad mode", "\nshort-name-mode = \"strict\"\n", false, "line 2: short-name-mode \"strict\""},
		{"alias with registry", "[aliases]\n\"a.example/x\" = \"b.example/x\"\n", false, "line 2: alias \"a.example/x\": a short name has no registry"},
		{"alias value short", "[aliases]\nx = \"y\"\n", false, "line 2: alias \"x\" = \"y\": an alias names a registry and a repository"},
		{"alias value tagged", "[aliases]\nx = \"a.example/y:1\"\n", false, "line 2: alias \"x\" = \"a.example/y:1\": an alias names a repository, without tag or digest"},
		{"v1 and v2", "unqualified-search-registries = []\n[registries.search]\nregistries = []\n", false, "line 2: the v1 tables"},
		{"v1 drop-in", "[registries.search]\nregistries = []\n", true, "line 1: a drop-in file must use the v2 format"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(t.TempDir(), "r.conf")
			if err := os.WriteFile(p, []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := readFile(file{path: p, dropIn: tc.dropIn})
			if err == nil {
				t.Fatalf("accepted:\n%s", tc.text)
			}
			msg := err.Error()
			if !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(msg, "registries.conf "+p) || !strings.Contains(msg, tc.want) {
				t.Errorf("error %q\nwant invalid argument naming %s and %q", msg, p, tc.want)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error on several lines: %q", msg)
			}
		})
	}
}
