package policy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transports"
)

func TestParseRefusals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, json, want string }{
		{"unknown top field", `{"default":[{"type":"insecureAcceptAnything"}],"bogus":1}`, `Unknown key "bogus"`},
		{"duplicate field", `{"default":[{"type":"reject"}],"default":[{"type":"insecureAcceptAnything"}]}`, `Duplicate key "default"`},
		{"missing default", `{"transports":{}}`, "Default policy is missing"},
		{"empty list", `{"default":[]}`, "must not be empty"},
		{"not an object", `[1]`, "JSON object expected"},
		{"unknown type", `{"default":[{"type":"bogus"}]}`, `Unknown policy requirement type "bogus"`},
		{"unknown requirement field", `{"default":[{"type":"reject","x":1}]}`, `Unknown key "x"`},
		{"keyType", `{"default":[{"type":"signedBy","keyType":"X","keyPath":"/a"}]}`, `Unrecognized keyType value "X"`},
		{"no key", `{"default":[{"type":"signedBy","keyType":"GPGKeys"}]}`, "none of them present"},
		{"two keys", `{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/a","keyData":"AAAA"}]}`, "more than one present"},
		{"bad keyData", `{"default":[{"type":"signedBy","keyType":"GPGKeys","keyData":"!!"}]}`, "illegal base64"},
		{"identity type", `{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/a","signedIdentity":{"type":"zz"}}]}`, `Unknown policy reference match type "zz"`},
		{"exactReference untagged", `{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/a","signedIdentity":{"type":"exactReference","dockerReference":"busybox"}}]}`, "contains neither a tag nor digest"},
		{"exactRepository bad", `{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/a","signedIdentity":{"type":"exactRepository","dockerRepository":"busy:box:x"}}]}`, "Invalid format of dockerRepository"},
		{"remap wildcard", `{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/a","signedIdentity":{"type":"remapIdentity","prefix":"*.x","signedPrefix":"a.b"}}]}`, `prefix "*.x" is not valid`},
		{"baseLayer without identity", `{"default":[{"type":"signedBaseLayer"}]}`, "baseLayerIdentity"},
		{"sigstore two keys", `{"default":[{"type":"sigstoreSigned","keyPath":"/x","keyData":"AA"}]}`, "more than one present"},
		{"sigstore bad keyData", `{"default":[{"type":"sigstoreSigned","keyData":"!!"}]}`, "illegal base64"},
		{"sigstore fulcio without rekor", `{"default":[{"type":"sigstoreSigned","fulcio":{"caPath":"/c","oidcIssuer":"i","subjectEmail":"e"}}]}`, "requires a rekor"},
		{"dir scope relative", `{"default":[{"type":"reject"}],"transports":{"dir":{"relative":[{"type":"reject"}]}}}`, "must be an absolute path"},
		{"oci scope root", `{"default":[{"type":"reject"}],"transports":{"oci":{"/":[{"type":"reject"}]}}}`, `invalid scope "/"`},
		{"scope unclean", `{"default":[{"type":"reject"}],"transports":{"oci-archive":{"/a/../b":[{"type":"reject"}]}}}`, "non-canonical"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, errdefs.ErrInvalidArgument) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("Parse error = %v, want one line holding %q", err, tc.want)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	t.Parallel()
	p, err := Parse([]byte(`{"default":[{"type":"reject"}],"transports":{
		"docker":{"example.com/a":[{"type":"signedBy","keyType":"GPGKeys","keyPaths":["/k1","/k2"],"signedIdentity":{"type":"remapIdentity","prefix":"mirror.example.com","signedPrefix":"example.com"}}],
			"example.com/b":[{"type":"signedBaseLayer","baseLayerIdentity":{"type":"matchExact"}}],
			"example.com/c":[{"type":"sigstoreSigned","fulcio":{"caPath":"/c","oidcIssuer":"https://i","subjectEmail":"a@b"},"rekorPublicKeyPath":"/r","signedIdentity":{"type":"matchRepository"}}]},
		"frobnicate":{"anything":[{"type":"insecureAcceptAnything"}]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	sb, ok := p.Transports["docker"]["example.com/a"][0].(*SignedBy)
	if !ok || len(sb.KeyPaths) != 2 || sb.SignedIdentity.Kind != "remapIdentity" || sb.SignedIdentity.SignedPrefix != "example.com" {
		t.Errorf("signedBy = %+v", p.Transports["docker"]["example.com/a"][0])
	}
	ss, ok := p.Transports["docker"]["example.com/c"][0].(*SigstoreSigned)
	if !ok || ss.Fulcio["oidcIssuer"] != "https://i" || ss.RekorPublicKeyPath != "/r" || ss.SignedIdentity.Kind != "matchRepository" {
		t.Errorf("sigstoreSigned = %+v", p.Transports["docker"]["example.com/c"][0])
	}
}

// TestScopes checks the most specific scope wins, per transport.
func TestScopes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sub := filepath.Join(dir, "images", "app")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(filepath.Join(dir, "images"), link); err != nil {
		t.Fatal(err)
	}
	doc := `{"default":[{"type":"reject"}],"transports":{
		"docker":{"":[{"type":"reject"}],
			"registry.example.com:5000/ns/app:1":[{"type":"insecureAcceptAnything"}],
			"registry.example.com:5000/ns/repo":[{"type":"insecureAcceptAnything"}],
			"registry.example.com:5000/team":[{"type":"insecureAcceptAnything"}],
			"quay.io":[{"type":"insecureAcceptAnything"}],
			"*.example.org":[{"type":"insecureAcceptAnything"}]},
		"dir":{"` + filepath.Join(dir, "images") + `":[{"type":"insecureAcceptAnything"}]},
		"oci":{"` + sub + `":[{"type":"insecureAcceptAnything"}]},
		"docker-archive":{"":[{"type":"insecureAcceptAnything"}]}}}`
	p, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	e := NewEvaluator(p, nil)
	for _, tc := range []struct {
		name   string
		accept bool
	}{
		{"docker://registry.example.com:5000/ns/app:1", true},   // full name
		{"docker://registry.example.com:5000/ns/app:2", false},  // other tag: transport ""
		{"docker://registry.example.com:5000/ns/repo:x", true},  // repository
		{"docker://registry.example.com:5000/team/a/b:x", true}, // parent namespace
		{"docker://registry.example.com/team/a:x", false},       // port matters for hosts
		{"docker://quay.io/any/thing:1", true},                  // host
		{"docker://a.b.example.org/x:1", true},                  // wildcard
		{"docker://example.org/x:1", false},                     // a wildcard needs a subdomain
		{"dir:" + sub, true},                                    // parent directory
		{"dir:" + filepath.Join(link, "app"), true},             // through a symlink
		{"dir:" + dir, false},                                   // above the scope: default
		{"oci:" + sub + ":v1", true},                            // the ref is not part of the scope
		{"oci:" + filepath.Join(dir, "images") + ":v1", false},  // parent of the scope
		{"docker-archive:" + filepath.Join(dir, "x.tar"), true}, // transport ""
		{"oci-archive:" + filepath.Join(dir, "x.tar"), false},   // default
	} {
		ref, err := transports.Parse(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		err = e.Check(context.Background(), ref, copier.Instance{})
		if got := err == nil; got != tc.accept {
			t.Errorf("%s: accepted = %v (%v), want %v", tc.name, got, err, tc.accept)
		}
		if got := e.AcceptsAnyImage(ref); got != tc.accept {
			t.Errorf("%s: AcceptsAnyImage = %v, want %v", tc.name, got, tc.accept)
		}
	}
}

func TestRejectWording(t *testing.T) {
	t.Parallel()
	p, err := Parse([]byte(`{"default":[{"type":"reject"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := transports.Parse("docker://example.com/a:1")
	err = NewEvaluator(p, nil).Check(context.Background(), ref, copier.Instance{})
	if err == nil || err.Error() != "Running image docker://example.com/a:1 is rejected by policy." || !errors.Is(err, errdefs.ErrDenied) {
		t.Fatalf("err = %v", err)
	}
	for _, doc := range []string{
		`{"default":[{"type":"signedBaseLayer","baseLayerIdentity":{"type":"matchExact"}}]}`,
		`{"default":[{"type":"sigstoreSigned","keyPath":"/k"}]}`,
		`{"default":[{"type":"sigstoreSigned","fulcio":{"caPath":"/c","oidcIssuer":"i","subjectEmail":"e"},"rekorPublicKeyPath":"/r"}]}`,
	} {
		p, err := Parse([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if err := NewEvaluator(p, nil).Check(context.Background(), ref, copier.Instance{}); err == nil {
			t.Errorf("%s accepted an image", doc)
		}
	}
}

// TestIdentities covers every signedIdentity form.
func TestIdentities(t *testing.T) {
	t.Parallel()
	named := func(s string) reference.Named {
		n, err := reference.ParseNamed(s, false)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	const dg = "@sha256:0123456789012345678901234567890123456789012345678901234567890123"
	for _, tc := range []struct {
		id       Identity
		intended string // "" for a source without a Docker reference (dir:)
		signed   string
		want     bool
	}{
		{Identity{Kind: "matchRepoDigestOrExact"}, "example.com/a:1", "example.com/a:1", true},
		{Identity{Kind: "matchRepoDigestOrExact"}, "example.com/a:1", "example.com/a:2", false},
		{Identity{Kind: "matchRepoDigestOrExact"}, "example.com/a" + dg, "example.com/a:2", true},
		{Identity{Kind: "matchRepoDigestOrExact"}, "example.com/a" + dg, "example.com/b:2", false},
		{Identity{Kind: "matchRepoDigestOrExact"}, "", "example.com/a:1", false},
		{Identity{Kind: "matchExact"}, "example.com/a:1", "example.com/a:1", true},
		{Identity{Kind: "matchExact"}, "example.com/a" + dg, "example.com/a:1", false},
		{Identity{Kind: "matchRepository"}, "example.com/a:1", "example.com/a:7", true},
		{Identity{Kind: "matchRepository"}, "example.com/a:1", "example.com/b:1", false},
		{Identity{Kind: "exactReference", DockerReference: "example.com/a:1"}, "", "example.com/a:1", true},
		{Identity{Kind: "exactReference", DockerReference: "example.com/a:1"}, "other.com/x:9", "example.com/a:2", false},
		{Identity{Kind: "exactRepository", DockerRepository: "example.com/a"}, "", "example.com/a:5", true},
		{Identity{Kind: "exactRepository", DockerRepository: "example.com/a"}, "", "example.com/b:5", false},
		{Identity{Kind: "remapIdentity", Prefix: "mirror.local:5000/pub", SignedPrefix: "example.com"}, "mirror.local:5000/pub/a:1", "example.com/a:1", true},
		{Identity{Kind: "remapIdentity", Prefix: "mirror.local:5000/pub", SignedPrefix: "example.com"}, "mirror.local:5000/pub/a:1", "mirror.local:5000/pub/a:1", false},
		{Identity{Kind: "remapIdentity", Prefix: "mirror.local:5000/pub", SignedPrefix: "example.com"}, "mirror.local:5000/public/a:1", "example.com/lic/a:1", false},
		{Identity{Kind: "remapIdentity", Prefix: "mirror.local", SignedPrefix: "example.com"}, "mirror.local:5000/a:1", "example.com:5000/a:1", false},
		{Identity{Kind: "remapIdentity", Prefix: "mirror.local", SignedPrefix: "example.com"}, "other.com/a:1", "other.com/a:1", true},
		// cosign signs the repository alone.
		{Identity{Kind: "matchRepository"}, "example.com/a:1", "example.com/a", true},
		{Identity{Kind: "exactRepository", DockerRepository: "example.com/a"}, "", "example.com/a", true},
		{Identity{Kind: "matchRepoDigestOrExact"}, "example.com/a" + dg, "example.com/a", true},
		{Identity{Kind: "matchRepoDigestOrExact"}, "example.com/a:1", "example.com/a", false},
		{Identity{Kind: "matchExact"}, "example.com/a:1", "example.com/a", false},
		{Identity{Kind: "exactReference", DockerReference: "example.com/a:1"}, "", "example.com/a", false},
	} {
		var intended reference.Named
		if tc.intended != "" {
			intended = named(tc.intended)
		}
		if got := tc.id.matches(intended, tc.signed); got != tc.want {
			t.Errorf("%+v: intended %q, signed %q: %v, want %v", tc.id, tc.intended, tc.signed, got, tc.want)
		}
	}
}

// TestFind checks the lookup order with the roots pointed at temporary
// directories, including a machine with no policy file at all.
func TestFind(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write := func(rel string) string {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(`{"default":[{"type":"reject"}]}`), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	etc, usr := filepath.Join(root, "etc/containers/policy.json"), filepath.Join(root, "usr/share/containers/policy.json")
	loc := Locations{Getenv: env(map[string]string{"HOME": filepath.Join(root, "home")}), System: []string{etc, usr}}
	if p, err := loc.Find(""); err != nil || p != "" {
		t.Fatalf("no file anywhere: Find = %q, %v; want none", p, err)
	}
	write("usr/share/containers/policy.json")
	if p, _ := loc.Find(""); p != usr {
		t.Errorf("Find = %q, want %q", p, usr)
	}
	write("etc/containers/policy.json")
	if p, _ := loc.Find(""); p != etc {
		t.Errorf("Find = %q, want %q", p, etc)
	}
	home := write("home/.config/containers/policy.json")
	if p, _ := loc.Find(""); p != home {
		t.Errorf("Find = %q, want %q", p, home)
	}
	xdg := write("xdg/containers/policy.json")
	loc.Getenv = env(map[string]string{"HOME": filepath.Join(root, "home"), "XDG_CONFIG_HOME": filepath.Join(root, "xdg")})
	if p, _ := loc.Find(""); p != xdg {
		t.Errorf("Find = %q, want %q", p, xdg)
	}
	loc.Getenv = env(map[string]string{"XDG_CONFIG_HOME": filepath.Join(root, "xdg"), "CONTAINERS_POLICY_JSON": "/from/env.json"})
	if p, _ := loc.Find(""); p != "/from/env.json" {
		t.Errorf("Find = %q, want the environment's", p)
	}
	if p, _ := loc.Find("/explicit.json"); p != "/explicit.json" {
		t.Errorf("Find = %q, want --policy's", p)
	}
	if _, err := Load("/nonexistent/policy.json"); err == nil {
		t.Error("Load of a missing explicit file succeeded")
	}
}
