package reference

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	dref "github.com/distribution/reference"
	"github.com/ferrytool/ferry/errdefs"
)

const (
	hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	sha   = "sha256:" + hex64
)

func TestParseNamed(t *testing.T) {
	for _, tc := range []struct {
		in                        string
		domain, path, tag, digest string
		familiar                  string
	}{
		{"nginx", "docker.io", "library/nginx", "latest", "", "nginx:latest"},
		{"nginx:1.27", "docker.io", "library/nginx", "1.27", "", "nginx:1.27"},
		{"team/app", "docker.io", "team/app", "latest", "", "team/app:latest"},
		{"index.docker.io/nginx", "docker.io", "library/nginx", "latest", "", "nginx:latest"},
		{"docker.io/library/a/b", "docker.io", "library/a/b", "latest", "", "library/a/b:latest"},
		{"localhost/app", "localhost", "app", "latest", "", "localhost/app:latest"},
		{"localhost:5000/a/b:v1", "localhost:5000", "a/b", "v1", "", "localhost:5000/a/b:v1"},
		{"Registry/app", "Registry", "app", "latest", "", "Registry/app:latest"},
		{"[::1]:5000/app", "[::1]:5000", "app", "latest", "", "[::1]:5000/app:latest"},
		{"quay.io/a/b@" + sha, "quay.io", "a/b", "", sha, "quay.io/a/b@" + sha},
		{"quay.io/a/b:t@" + sha, "quay.io", "a/b", "t", sha, "quay.io/a/b:t@" + sha},
		{"r.example/a__b.c-d---e/f_g", "r.example", "a__b.c-d---e/f_g", "latest", "", "r.example/a__b.c-d---e/f_g:latest"},
	} {
		n, err := ParseNamed(tc.in, true)
		if err != nil {
			t.Errorf("ParseNamed(%q): %v", tc.in, err)
			continue
		}
		got := []string{Domain(n), Path(n), Tag(n), Digest(n).String(), Familiar(n)}
		want := []string{tc.domain, tc.path, tc.tag, tc.digest, tc.familiar}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("ParseNamed(%q) = %q, want %q", tc.in, got, want)
		}
	}
}

func TestParseNamedRefuses(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "invalid reference format"},
		{"Nginx", "must be lowercase"},
		{"example.com/App:1", "must be lowercase"},
		{"a//b", "invalid reference format"},
		{"a/b:", "invalid reference format"},
		{"a/b:-x", "invalid reference format"},
		{"a/b:" + strings.Repeat("t", 129), "invalid reference format"},
		{"a/b___c", "invalid reference format"},
		{"a/b._c", "invalid reference format"},
		{"a/-b", "invalid reference format"},
		{"a/b@sha256:abc", "invalid reference format"},
		{"a/b@md5:" + hex64, "unsupported digest algorithm"},
		{"a/b@sha256:" + strings.ToUpper(hex64), "invalid checksum digest format"},
		{"a/b@sha256:" + hex64[:63], "invalid checksum digest length"},
		{hex64, "image ID"},
		{"r.example/" + strings.Repeat("a", 256), "more than 255"},
		{"r.example:/a", "invalid reference format"},
		{"-r.example/a", "invalid reference format"},
	} {
		_, err := ParseNamed(tc.in, true)
		if err == nil || !errors.Is(err, errdefs.ErrInvalidReference) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseNamed(%q) = %v, want an invalid reference error saying %q", tc.in, err, tc.want)
		}
	}
}

func TestParseKeepsNameAsWritten(t *testing.T) {
	for _, tc := range []struct{ in, domain, path string }{
		{"alpine", "", "alpine"},
		{"foo/bar", "foo", "bar"},
		{"foo_bar/baz", "", "foo_bar/baz"},
		{"example.com:5000/a/b:1", "example.com:5000", "a/b"},
	} {
		n, err := Parse(tc.in)
		if err != nil || Domain(n) != tc.domain || Path(n) != tc.path {
			t.Errorf("Parse(%q) = %v (%v), want domain %q path %q", tc.in, n, err, tc.domain, tc.path)
		}
	}
}

func TestWithTagAndDigest(t *testing.T) {
	n, err := ParseNamed("quay.io/a/b:old@"+sha, false)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := WithTag(n, "new"); err != nil || got.String() != "quay.io/a/b:new" {
		t.Errorf("WithTag = %v, %v", got, err)
	}
	if got, err := WithDigest(n, sha); err != nil || got.String() != "quay.io/a/b@"+sha {
		t.Errorf("WithDigest = %v, %v", got, err)
	}
	if _, err := WithTag(n, "b@d"); !errors.Is(err, errdefs.ErrInvalidReference) {
		t.Errorf("WithTag(b@d) = %v, want an invalid reference error", err)
	}
	if _, err := WithDigest(n, "sha256:zz"); !errors.Is(err, errdefs.ErrInvalidReference) {
		t.Errorf("WithDigest(sha256:zz) = %v, want an invalid reference error", err)
	}
	if TrimNamed(n).String() != "quay.io/a/b" || !IsNameOnly(TrimNamed(n)) {
		t.Errorf("TrimNamed = %v", TrimNamed(n))
	}
}

func TestValidDomain(t *testing.T) {
	for s, want := range map[string]bool{
		"localhost": true, "r.example:5000": true, "10.0.0.1": true, "[fe80::1]:443": true, "Reg-1.Example": true,
		"": false, "r.example:": false, "-r.example": false, "r..example": false, "[::1": false, "[]": false,
		"r.example/x": false, "r_example": false, "r.example:50a": false,
	} {
		if got := ValidDomain(s); got != want {
			t.Errorf("ValidDomain(%q) = %v, want %v", s, got, want)
		}
	}
}

// corpus is names at the edges of the grammar, for the comparison with
// the distribution registry's parser below; the fuzz target adds more.
var corpus = []string{
	"", "a", "A", "a/b", "a//b", "/a", "a/", "a:b", "a:", ":a", "a@", "@a",
	"nginx", "nginx:latest", "library/nginx", "docker.io/nginx", "index.docker.io/nginx", "docker.io/library/a/b",
	"localhost", "localhost/a", "localhost:5000", "localhost:5000/a:t", "LocalHost/a", "Foo/bar", "foo/Bar",
	"a.b/c", "a.b:1/c", "a.b:/c", "a.b:x/c", "a-.b/c", "-a.b/c", "a..b/c", "a.-b/c", "a-b.c-d/e",
	"[::1]/a", "[::1]:80/a", "[::1/a", "[]/a", "[g::1]/a", "[::1]x/a",
	"a/b.c", "a/b..c", "a/b_c", "a/b__c", "a/b___c", "a/b-c", "a/b--c", "a/b-.c", "a/b._c", "a/.b", "a/b.",
	"a/b:t", "a/b:T_1.-", "a/b:.t", "a/b:-t", "a/b:_t", "a/b:t:u", "a/b:t/c", "a:1/b:2", "a:1/b:2/c",
	"a/b@" + sha, "a/b:t@" + sha, "a/b@sha256:" + hex64[:32], "a/b@sha512:" + hex64 + hex64,
	"a/b@sha256+x:" + hex64, "a/b@sha-256:" + hex64, "a/b@sha256-:" + hex64, "a/b@1sha:" + hex64,
	"a/b@md5:" + hex64, "a/b@sha256:" + strings.ToUpper(hex64), "a/b@@" + sha, "a/b@" + sha + "@" + sha,
	hex64, hex64 + ":t", "a/" + hex64, strings.ToUpper(hex64),
	"r.example/" + strings.Repeat("a", 245), "r.example/" + strings.Repeat("a", 246), strings.Repeat("a", 256),
	"a/b:" + strings.Repeat("t", 128), "a/b:" + strings.Repeat("t", 129), "é/a", "a/é", "a b", "a/b c", "a\n",
}

// agree reports a difference between ferry's reading of s and the
// distribution registry's (which Docker, skopeo and containers/image
// use), for both the normalized and the as-written parse.
func agree(t *testing.T, s string) {
	t.Helper()
	n, err := ParseNormalizedNamed(s)
	want, wantErr := dref.ParseNormalizedNamed(s)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("ParseNormalizedNamed(%q): ferry %v (%v), distribution %v (%v)", s, n, err, want, wantErr)
	}
	if err == nil {
		same(t, s, n, want)
		if got, w := Familiar(n), dref.FamiliarString(want); got != w {
			t.Fatalf("Familiar(%q) = %q, distribution %q", s, got, w)
		}
	}
	p, err := Parse(s)
	wantRef, wantErr := dref.Parse(s)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("Parse(%q): ferry %v (%v), distribution %v (%v)", s, p, err, wantRef, wantErr)
	}
	if err == nil {
		same(t, s, p, wantRef.(dref.Named))
	}
	if got, w := ValidDomain(s), anchoredDomain(s); got != w {
		t.Fatalf("ValidDomain(%q) = %v, distribution %v", s, got, w)
	}
}

var anchoredDomainRegexp = regexp.MustCompile("^" + dref.DomainRegexp.String() + "$")

func anchoredDomain(s string) bool { return anchoredDomainRegexp.MatchString(s) }

func same(t *testing.T, s string, n Named, want dref.Named) {
	t.Helper()
	var tag, dig string
	if x, ok := want.(dref.Tagged); ok {
		tag = x.Tag()
	}
	if x, ok := want.(dref.Digested); ok {
		dig = x.Digest().String()
	}
	got := []string{Domain(n), Path(n), Tag(n), Digest(n).String(), n.Name(), n.String()}
	w := []string{dref.Domain(want), dref.Path(want), tag, dig, want.Name(), want.String()}
	for i := range got {
		if got[i] != w[i] {
			t.Fatalf("%q: ferry reads %q, distribution %q", s, got, w)
		}
	}
}

func TestGrammarAgreesWithDistribution(t *testing.T) {
	for _, s := range corpus {
		agree(t, s)
	}
}

func FuzzGrammar(f *testing.F) {
	for _, s := range corpus {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		agree(t, s)
	})
}
