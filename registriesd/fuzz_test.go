package registriesd

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
)

// FuzzLoad feeds two registries.d files of arbitrary YAML and an
// arbitrary image name to the loader and the lookups: a failure wraps
// ErrInvalidArgument (or ErrInvalidReference for the name) in one
// sentence on one line; a lookaside found is a URL whose path ends with
// the image's repository, and the same on every call.
func FuzzLoad(f *testing.F) {
	f.Add([]byte("default-docker:\n  lookaside: https://sigs.example.com/base\n"), []byte("docker:\n  example.com/app:\n    lookaside-staging: file:///srv/sigs\n    use-sigstore-attachments: true\n"), "example.com/app:1")
	f.Add([]byte("docker:\n  '*.com':\n    sigstore: http://x/%zz\n"), []byte(""), "registry.example.com:5000/a/b@sha256:"+hex64)
	f.Add([]byte("docker:\n  busybox:\n    lookaside: a\n"), []byte("docker:\n  busybox:\n    lookaside: b\n"), "busybox")
	f.Add([]byte("default-docker: {}\n"), []byte("default-docker:\n  lookaside: x\n"), "x")
	f.Add([]byte("docker: [1, 2]\n"), []byte("default-docker:\n  use-sigstore-attachments: maybe\n"), "a")
	f.Add([]byte("a: &a [*a, *a]\n"), []byte("\t- :\n"), "a")
	f.Add([]byte("docker:\n  docker.io/library/x:\n    lookaside: \"file:///a\\nb\"\n"), []byte("default-docker:\n  lookaside: ':'\n"), "x")
	dir := f.TempDir() // one for all inputs: a worker runs them one at a time
	f.Fuzz(func(t *testing.T, a, b []byte, name string) {
		if len(a)+len(b) > 64<<10 {
			return
		}
		for n, body := range map[string][]byte{"a.yaml": a, "b.yaml": b} {
			if err := os.WriteFile(filepath.Join(dir, n), body, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		check := func(what string, err error, sentinels ...error) {
			t.Helper()
			ok := false
			for _, s := range sentinels {
				ok = ok || errors.Is(err, s)
			}
			if !ok {
				t.Fatalf("%s error %v carries none of %v", what, err, sentinels)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("%s error is not one line: %q", what, err)
			}
		}
		c, err := Load(Options{Dir: dir, DefaultLookaside: "file:///default"})
		if err != nil {
			check("Load", err, errdefs.ErrInvalidArgument)
			return
		}
		n, err := reference.ParseNamed(name, true)
		if err != nil {
			return
		}
		for _, write := range []bool{false, true} {
			u, err := c.Lookaside(n, write)
			if err != nil {
				check("Lookaside", err, errdefs.ErrInvalidArgument, errdefs.ErrInvalidReference)
				continue
			}
			if !strings.HasSuffix(u.Path, "/"+reference.Path(n)) {
				t.Fatalf("Lookaside(%s) = %s, whose path does not end with the repository", n, u)
			}
			again, err := c.Lookaside(n, write)
			if err != nil || again.String() != u.String() {
				t.Fatalf("Lookaside(%s) gave %s, then %v, %v", n, u, again, err)
			}
			if _, err := url.Parse(u.String()); err != nil {
				t.Fatalf("Lookaside(%s) = %q, which does not parse back: %v", n, u, err)
			}
		}
		if _, err := c.UseSigstoreAttachments(n); err != nil {
			t.Fatalf("UseSigstoreAttachments failed after Load succeeded: %v", err)
		}
	})
}
