package auth

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseChallenges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		header []string
		want   []Challenge
	}{
		{"bearer", []string{`Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"`},
			[]Challenge{{Scheme: "bearer", Params: map[string]string{"realm": "https://auth.docker.io/token", "service": "registry.docker.io", "scope": "repository:library/nginx:pull"}}}},
		{"basic", []string{`Basic realm="Registry Realm"`},
			[]Challenge{{Scheme: "basic", Params: map[string]string{"realm": "Registry Realm"}}}},
		{"two-in-one-header", []string{`Basic realm="a", Bearer realm="https://t/token", service=x`},
			[]Challenge{{Scheme: "basic", Params: map[string]string{"realm": "a"}}, {Scheme: "bearer", Params: map[string]string{"realm": "https://t/token", "service": "x"}}}},
		{"two-headers", []string{`Basic realm="a"`, `Bearer realm="b"`},
			[]Challenge{{Scheme: "basic", Params: map[string]string{"realm": "a"}}, {Scheme: "bearer", Params: map[string]string{"realm": "b"}}}},
		{"escapes-and-spaces", []string{`Bearer  realm = "a\"b" , error="insufficient_scope"`},
			[]Challenge{{Scheme: "bearer", Params: map[string]string{"realm": `a"b`, "error": "insufficient_scope"}}}},
		{"scheme-only", []string{`Negotiate`}, []Challenge{{Scheme: "negotiate", Params: map[string]string{}}}},
		{"empty", []string{""}, nil},
		{"garbage", []string{`=,,"`}, nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, ParseChallenges(tt.header)); diff != "" {
			t.Errorf("%s: (-want +got)\n%s", tt.name, diff)
		}
	}
}

func TestScopes(t *testing.T) {
	t.Parallel()
	got := MergeScopes(
		[]Scope{Repository("b/app", "push", "pull")},
		[]Scope{Repository("a", "pull"), Repository("b/app", "pull")},
		ParseScopes("repository:localhost:5000/x:pull,delete registry:catalog:*"),
	)
	want := []string{"registry:catalog:*", "repository:a:pull", "repository:b/app:pull,push", "repository:localhost:5000/x:delete,pull"}
	var gotS []string
	for _, s := range got {
		gotS = append(gotS, s.String())
	}
	if diff := cmp.Diff(want, gotS); diff != "" {
		t.Errorf("MergeScopes (-want +got)\n%s", diff)
	}
	if !Covers(got, []Scope{Repository("b/app", "push")}) || Covers(got, []Scope{Repository("a", "push")}) {
		t.Errorf("Covers gives wrong answers for %v", gotS)
	}
}

// FuzzParseChallenges feeds WWW-Authenticate values a hostile registry
// may send: no panic or hang, schemes and keys come out lower-cased and
// non-empty, and a challenge written with quoted values (as registries
// write them) parses back to those values whatever they hold.
func FuzzParseChallenges(f *testing.F) {
	for _, s := range []string{`Bearer realm="a",service=b`, `Basic realm==`, `a=,"`, `Bearer realm="\`, `,,, x y z = "q"`} {
		f.Add(s, "https://auth.example/token", "registry.example")
	}
	f.Add(`Basic realm="x", Bearer realm=y`, `a"b\c`, "")
	f.Fuzz(func(t *testing.T, header, realm, service string) {
		for _, c := range ParseChallenges([]string{header}) {
			if c.Scheme == "" || c.Scheme != strings.ToLower(c.Scheme) {
				t.Fatalf("%q: scheme %q", header, c.Scheme)
			}
			for k := range c.Params {
				if k == "" || k != strings.ToLower(k) {
					t.Fatalf("%q: parameter key %q", header, k)
				}
			}
		}
		q := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
		h := `Bearer realm="` + q.Replace(realm) + `",service="` + q.Replace(service) + `"`
		chs := ParseChallenges([]string{h})
		c, ok := Find(chs, "bearer")
		if !ok || len(chs) != 1 {
			t.Fatalf("%q parsed to %+v", h, chs)
		}
		if c.Params["realm"] != realm || c.Params["service"] != service {
			t.Fatalf("%q parsed to realm %q, service %q", h, c.Params["realm"], c.Params["service"])
		}
	})
}
