package registriesconf

import (
	"strings"
	"testing"

	"github.com/ferrytool/ferry/reference"
)

// FuzzParse: any file is read without a panic; a refusal is one line, and
// a file accepted resolves names without a panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(resolveConf))
	f.Add([]byte("[registries.search]\nregistries = ['a.example']\n[registries.block]\nregistries = ['b.example']\n"))
	f.Add([]byte("short-name-mode = \"enforcing\"\nunqualified-search-registries = [\"a.example\", \"b.example\"]\n[aliases]\n\"x\" = \"a.example/x\"\n"))
	f.Add([]byte("[[registry]]\nprefix = \"*.a.example\"\n[[registry.mirror]]\nlocation = \"m.example/\\\"q\"\npull-from-mirror = \"tag-only\"\n"))
	names := []string{"a.example/x:1", "b.a.example/x@" + dg, "docker.io/library/busybox:1", "example.com/foo/image:latest"}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parse("f.conf", b, false)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Errorf("error on several lines: %q", err)
			}
			return
		}
		m := &merged{registries: p.registries, aliases: p.aliases}
		if p.search != nil {
			m.search = *p.search
		}
		c := &Config{m: m}
		c.once.Do(func() {})
		for _, s := range names {
			n, err := reference.ParseNormalizedNamed(s)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Resolve(n); err != nil && strings.ContainsAny(err.Error(), "\r\n") {
				t.Errorf("resolve error on several lines: %q", err)
			}
		}
		if _, err := c.ResolveShortName("x:1", false); err != nil && strings.ContainsAny(err.Error(), "\r\n") {
			t.Errorf("short name error on several lines: %q", err)
		}
	})
}
