package mirror

import (
	"testing"

	"github.com/ferrytool/ferry/transport"
	"github.com/google/go-cmp/cmp"
)

// TestDestNames follows skopeo sync's naming: DEST joined with the source's
// full name (--scoped) or its last element, then --append-suffix (which
// skopeo 1.9.3 lacks; upstream appends it to the joined name).
func TestDestNames(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind   Kind
		scoped bool
		suffix string
		base   string
		src    string
		want   string
	}{
		{Docker, false, "", "reg.example/mirror", "docker.io/library/alpine:3.20", "docker://reg.example/mirror/alpine:3.20"},
		{Docker, true, "", "reg.example/mirror", "docker.io/library/alpine:3.20", "docker://reg.example/mirror/docker.io/library/alpine:3.20"},
		{Docker, false, "-mirror", "reg.example", "quay.io/a/b:1", "docker://reg.example/b:1-mirror"},
		{Docker, false, "", "reg.example/m", "/a/b", "docker://reg.example/m/b:latest"},
		{Docker, true, "-x", "reg.example/m", "/a/b", "docker://reg.example/m/a/b-x:latest"},
		{Dir, false, "", "/srv/out", "docker.io/library/alpine:3.20", "dir:/srv/out/alpine:3.20"},
		{Dir, true, ".bak", "/srv/out", "quay.io/a/b:1", "dir:/srv/out/quay.io/a/b:1.bak"},
		{OCI, false, "", "/srv/layout", "docker.io/library/alpine:3.20", "oci:/srv/layout:alpine:3.20"},
		{OCI, true, "-m", "/srv/layout", "quay.io/a/b:1", "oci:/srv/layout:quay.io/a/b:1-m"},
		{OCI, true, "", "/srv/layout", "/a/b", "oci:/srv/layout:a/b"},
	} {
		n, err := newDestNamer(tc.base, &Options{Destination: tc.kind, Scoped: tc.scoped, AppendSuffix: tc.suffix})
		if err != nil {
			t.Fatal(err)
		}
		ref, err := n.name(tc.src)
		if err != nil {
			t.Errorf("%+v: %v", tc, err)
			continue
		}
		if got := transport.FullName(ref); got != tc.want {
			t.Errorf("%s scoped=%v suffix=%q %s -> %s, want %s", tc.kind, tc.scoped, tc.suffix, tc.src, got, tc.want)
		}
	}
	for _, tc := range []struct{ base, img, want string }{
		{"/src", "/src/a/b", "/a/b"},
		{"/src/", "/src/a/b", "a/b"},
		{"/src/top", "/src/top", "top"},
	} {
		if got := dirSuffix(tc.base, tc.img); got != tc.want {
			t.Errorf("dirSuffix(%q, %q) = %q, want %q", tc.base, tc.img, got, tc.want)
		}
	}
}

func TestFileSelectors(t *testing.T) {
	t.Parallel()
	f, err := ParseFile([]byte(`
zz.example:
  images:
    b: []
    a: ["1", "sha256:` + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" + `"]
  images-by-semver:
    a: "~1.2"
aa.example:
  images-by-tag-regex:
    c: ^v
  credentials: {username: u, password: p}
  tls-verify: false
  cert-dir: /certs
`))
	if err != nil {
		t.Fatal(err)
	}
	sels, err := f.selectors()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range sels {
		d := s.repo.String()
		switch {
		case s.match != nil:
			d += " match"
		case s.list:
			d += " all"
		default:
			for _, r := range s.refs {
				d += " " + r.String()
			}
		}
		got = append(got, d)
	}
	want := []string{
		"aa.example/c match",
		"zz.example/a zz.example/a:1 zz.example/a@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"zz.example/b all",
		"zz.example/a match",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("selectors (-want +got):\n%s", diff)
	}
	if m := sels[3].match; !m("1.2.9") || m("1.3.0") || m("latest") {
		t.Error("~1.2 does not select 1.2.x only")
	}
	if m := sels[0].match; !m("v1") || !m("v1.2-x") || m("1") || m("xv1") {
		t.Error("^v (unanchored at the end, as skopeo) does not select exactly the tags starting with v")
	}
	aa := f["aa.example"]
	c := registryConfig(Options{}.SourceDocker, aa)
	if c.Auth.Username != "u" || c.Auth.Password != "p" || !c.Insecure || c.CertDir != "/certs" {
		t.Errorf("registry config = %+v", c)
	}
	if c := registryConfig(Options{}.SourceDocker, f["zz.example"]); c.Insecure || c.Auth.Username != "" {
		t.Errorf("zz.example config = %+v, want the command line's", c)
	}
}
