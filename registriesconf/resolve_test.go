package registriesconf

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
	"github.com/google/go-cmp/cmp"
)

// load reads one registries.conf holding text, and nothing else of the
// machine's.
func load(t *testing.T, text string) *Config {
	t.Helper()
	p := filepath.Join(t.TempDir(), "registries.conf")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(Options{Path: p, LookupEnv: noEnv})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func noEnv(string) (string, bool) { return "", false }

// sources renders a resolution as "name" or "name (insecure)" lines.
func sources(res []Source) []string {
	var out []string
	for _, s := range res {
		l := s.Name.String()
		if s.Insecure {
			l += " (insecure)"
		}
		if s.Mirror {
			l += " mirror"
		}
		out = append(out, l)
	}
	return out
}

const resolveConf = `
unqualified-search-registries = ["registry.example.org", "quay.io"]

[[registry]]
prefix = "example.com/foo"
location = "internal.example.com/bar"

[[registry.mirror]]
location = "mirror-0.local/mirror-for-foo"

[[registry.mirror]]
location = "mirror-1.local/mirrors/foo"
insecure = true

[[registry]]
location = "registry.com"
insecure = true

[[registry.mirror]]
location = "mirror.registry.com"

[[registry]]
prefix = "example.com"
location = "elsewhere.example.com:5000"

[[registry]]
prefix = "*.wild.example"
blocked = false

[[registry.mirror]]
location = "wild-mirror.local"

[[registry]]
prefix = "docker.io/library/busybox"
location = "hub-cache.local/busybox"

[[registry]]
location = "digests.example"
mirror-by-digest-only = true

[[registry.mirror]]
location = "digest-mirror.local"

[[registry]]
location = "modes.example"

[[registry.mirror]]
location = "by-digest.local"
pull-from-mirror = "digest-only"

[[registry.mirror]]
location = "by-tag.local"
pull-from-mirror = "tag-only"

[[registry.mirror]]
location = "any.local"
pull-from-mirror = "all"

[[registry]]
location = "blocked.example"
blocked = true

[[registry.mirror]]
location = "open-mirror.local/blocked"

[[registry.mirror]]
location = "also-blocked.example/x"

[[registry]]
location = "also-blocked.example"
blocked = true

[[registry]]
location = "fully-blocked.example"
blocked = true
`

const dg = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

func TestResolve(t *testing.T) {
	t.Parallel()
	c := load(t, resolveConf)
	for _, tc := range []struct {
		name    string
		want    []string
		blocked bool
	}{
		// Longest prefix: example.com/foo, not example.com; mirrors then
		// the rewritten primary.
		{"example.com/foo/image:latest", []string{
			"mirror-0.local/mirror-for-foo/image:latest mirror",
			"mirror-1.local/mirrors/foo/image:latest (insecure) mirror",
			"internal.example.com/bar/image:latest",
		}, false},
		// The prefix must end at a separator: example.com/food is under
		// example.com.
		{"example.com/food/image:1", []string{"elsewhere.example.com:5000/food/image:1"}, false},
		{"example.com/foo@" + dg, []string{
			"mirror-0.local/mirror-for-foo@" + dg + " mirror",
			"mirror-1.local/mirrors/foo@" + dg + " (insecure) mirror",
			"internal.example.com/bar@" + dg,
		}, false},
		// Prefix from location; insecure belongs to the primary, not to
		// its mirror.
		{"registry.com/a/b:2", []string{"mirror.registry.com/a/b:2 mirror", "registry.com/a/b:2 (insecure)"}, false},
		// A prefix matches whole components only.
		{"registry.company/x:1", []string{"registry.company/x:1"}, false},
		// Wildcards match subdomains of any depth, without rewriting.
		{"a.wild.example/x:1", []string{"wild-mirror.local/x:1 mirror", "a.wild.example/x:1"}, false},
		// The match ends after the host: the port stays, as in containers/image.
		{"b.a.wild.example:5000/x:1", []string{"wild-mirror.local:5000/x:1 mirror", "b.a.wild.example:5000/x:1"}, false},
		{"wild.example/x:1", []string{"wild.example/x:1"}, false},
		{"notwild.example/x.wild.example:1", []string{"notwild.example/x.wild.example:1"}, false},
		// docker.io names are matched in full, library/ spelt out.
		{"busybox:1.36", []string{"hub-cache.local/busybox:1.36"}, false},
		{"docker.io/busybox2/busybox:1", []string{"docker.io/busybox2/busybox:1"}, false},
		// mirror-by-digest-only.
		{"digests.example/r:1", []string{"digests.example/r:1"}, false},
		{"digests.example/r@" + dg, []string{"digest-mirror.local/r@" + dg + " mirror", "digests.example/r@" + dg}, false},
		// pull-from-mirror per mirror.
		{"modes.example/r:1", []string{"by-tag.local/r:1 mirror", "any.local/r:1 mirror", "modes.example/r:1"}, false},
		{"modes.example/r@" + dg, []string{"by-digest.local/r@" + dg + " mirror", "any.local/r@" + dg + " mirror", "modes.example/r@" + dg}, false},
		// Blocked: the primary is never contacted, nor a mirror that is
		// itself blocked; the other mirrors still serve.
		{"blocked.example/r:1", []string{"open-mirror.local/blocked/r:1 mirror"}, true},
		{"fully-blocked.example/r:1", nil, true},
		// No table: the name itself.
		{"quay.io/x/y:z", []string{"quay.io/x/y:z"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := reference.ParseNormalizedNamed(tc.name)
			if err != nil {
				t.Fatal(err)
			}
			res, err := c.Resolve(n)
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if diff := cmp.Diff(tc.want, sources(res.Sources)); diff != "" {
				t.Errorf("sources (-want +got):\n%s", diff)
			}
			if res.Blocked != tc.blocked {
				t.Errorf("blocked = %v, want %v", res.Blocked, tc.blocked)
			}
			if res.Push.Name.String() != n.String() {
				t.Errorf("push to %s, want the name itself, %s", res.Push.Name, n)
			}
		})
	}
}

func TestBlockedErrors(t *testing.T) {
	t.Parallel()
	c := load(t, resolveConf)
	n, _ := reference.ParseNormalizedNamed("fully-blocked.example/r:1")
	_, err := c.PullSources(n)
	// The [[registry]] line before the location.
	line := strings.Count(resolveConf[:strings.Index(resolveConf, `location = "fully-blocked.example"`)], "\n")
	if want := fmt.Sprintf("registries.conf, line %d)", line); !errors.Is(err, errdefs.ErrDenied) || !strings.Contains(err.Error(), want) {
		t.Errorf("pull of a blocked registry: %v, want access denied naming the file and %q", err, want)
	}
	// A blocked registry with a mirror is pulled from, but not pushed to.
	n, _ = reference.ParseNormalizedNamed("blocked.example/r:1")
	if _, err := c.PullSources(n); err != nil {
		t.Errorf("pull through the mirror of a blocked registry: %v", err)
	}
	if _, err := c.Endpoint(n); !errors.Is(err, errdefs.ErrDenied) {
		t.Errorf("push to a blocked registry: %v, want access denied", err)
	}
	n, _ = reference.ParseNormalizedNamed("registry.com/x:1")
	if insecure, err := c.Endpoint(n); err != nil || !insecure {
		t.Errorf("Endpoint(registry.com/x) = %v, %v; want insecure", insecure, err)
	}
}

// TestNilConfig: no configuration pulls every name from where it says.
func TestNilConfig(t *testing.T) {
	t.Parallel()
	var c *Config
	n, _ := reference.ParseNormalizedNamed("example.com/foo:1")
	src, err := c.PullSources(n)
	if err != nil || len(src) != 1 || src[0].Name.String() != n.String() || src[0].Insecure || src[0].Mirror {
		t.Errorf("nil config: %+v, %v", src, err)
	}
}
