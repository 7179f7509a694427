package transports

import (
	"strings"
	"testing"

	"github.com/ferrytool/ferry/transport"
)

// FuzzParse feeds image names as users (and scripts) type them to the
// parser: no panic, and every name that parses renders (FullName) to a
// name that parses to the same thing again, as the Reference contract
// promises.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"docker://nginx", "docker://localhost:5000/a/b:1", "docker://quay.io/org/img@sha256:" + hex64,
		"docker://Upper/x", "docker://a:b:c", "docker:nginx", "oci:/srv/x:1", "oci:layout:@2", "oci:a:b:c",
		"oci-archive:-", "oci-archive:/t.tar:../../x", "docker-archive:/t.tar:nginx:1", "docker-archive:/t.tar:@1",
		"docker-daemon:nginx:1", "docker-daemon:sha256:" + hex64, "dir:/tmp/x", "dir:", "tarball:/a:/b",
		"containers-storage:[overlay@/var/lib/x+/run/x:opt=1]busybox:1", "containers-storage:" + hex64,
		"sif:/x.sif", ":", "docker://", "docker://user:secret@host/x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("Parse(%q): empty error", s)
			}
			return
		}
		full := transport.FullName(r)
		again, err := Parse(full)
		if err != nil {
			t.Fatalf("Parse(%q) renders as %q, which does not parse: %v", s, full, err)
		}
		if got := transport.FullName(again); got != full {
			t.Fatalf("Parse(%q) renders as %q, which renders as %q", s, full, got)
		}
		if !strings.HasPrefix(full, r.Transport().Name()+":") {
			t.Fatalf("FullName %q lacks its transport %q", full, r.Transport().Name())
		}
	})
}
