package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
)

// TestRegistriesConf: with --registries-conf naming a mirror, copy pulls
// through the mirror (the primary sees no request) and --debug says which
// file and line each setting came from; a malformed file fails, in one
// sentence naming the file and line, only the commands that reach a
// registry.
func TestRegistriesConf(t *testing.T) {
	t.Parallel()
	primary := testregistry.New(t, testregistry.Options{})
	mirror := testregistry.New(t, testregistry.Options{})
	img := testimage.New(testimage.Options{Seed: 7})
	primary.Push(t, "team/app", "1", img)
	mirror.Push(t, "cache/team/app", "1", img)
	primary.ResetRequests()
	dir := t.TempDir()
	conf := filepath.Join(dir, "registries.conf")
	write := func(p, text string) {
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(conf, "# mirrors\n[[registry]]\nprefix = \""+primary.Host()+"/team\"\nlocation = \""+primary.Host()+"/team\"\ninsecure = true\n\n"+
		"[[registry.mirror]]\nlocation = \""+mirror.Host()+"/cache/team\"\ninsecure = true\n")

	src := "docker://" + primary.Ref("team/app:1")
	_, stderr, code := runCLI(t, "--debug", "--registries-conf", conf, "copy", "-q", src, "oci:"+filepath.Join(dir, "out")+":1")
	if code != 0 {
		t.Fatalf("copy through the mirror: exit %d: %s", code, stderr)
	}
	if got := primary.Requests(); len(got) != 0 {
		t.Errorf("the primary was asked %d requests, want none", len(got))
	}
	for _, want := range []string{
		`msg="read registries.conf" file=` + conf,
		`msg="registries.conf registry" prefix=` + primary.Host() + `/team`,
		`from="` + conf + `, line 2"`,
		`msg="reading the image from the places registries.conf names, in order"`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("--debug output lacks %q:\n%s", want, stderr)
		}
	}

	bad := filepath.Join(dir, "bad.conf")
	write(bad, "[[registry]]\nlocation = \"x.example\"\nmirrors = []\n")
	_, stderr, code = runCLI(t, "--registries-conf", bad, "inspect", "--raw", src)
	if code != 1 {
		t.Errorf("inspect with a malformed registries.conf: exit %d, want 1", code)
	}
	wantOneLine(t, stderr, "registries.conf "+bad+", line 3: unknown key \"registry.mirrors\"")
	// A command that reaches no registry does not read it.
	if _, stderr, code := runCLI(t, "--registries-conf", bad, "copy", "-q", "oci:"+filepath.Join(dir, "out")+":1", "dir:"+filepath.Join(dir, "d")); code != 0 {
		t.Errorf("local copy with a malformed registries.conf: exit %d: %s", code, stderr)
	}
	missing := filepath.Join(dir, "missing.conf")
	_, stderr, code = runCLI(t, "--registries-conf", missing, "inspect", "--raw", src)
	if code != 1 {
		t.Errorf("inspect with a missing registries.conf: exit %d, want 1", code)
	}
	wantOneLine(t, stderr, "registries.conf "+missing+" does not exist")
}
