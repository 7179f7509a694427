package auth

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testenv"
)

func TestStoreSaveRemove(t *testing.T) {
	ctx := context.Background()
	home := isolate(t)
	p := filepath.Join(home, "run/containers/auth.json")
	writeFile(t, p, `{"auths":{"https://quay.io/v1/":{"auth":"`+b64("old:0")+`"},"other.io":{"auth":"`+b64("o:1")+`","email":"kept@example.com"}},"credHelpers":{"gcr.io":"gcloud"},"unknownField":[1,2]}`)
	var s Store
	where, err := s.Save(ctx, "quay.io", "new", "s3cret")
	if err != nil || where != p {
		t.Fatalf("Save: %q, %v; want %q", where, err, p)
	}
	got, err := Lookup(ctx, "quay.io", "x", Settings{}, nil)
	if err != nil || got != (Credential{Username: "new", Password: "s3cret"}) {
		t.Fatalf("after Save: got %+v, %v", got, err)
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("auth file mode: %v, %v; want 0600", fi.Mode(), err)
	}
	b, _ := os.ReadFile(p)
	for _, want := range []string{`"gcr.io": "gcloud"`, `"unknownField"`, `kept@example.com`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("Save lost %s:\n%s", want, b)
		}
	}
	if strings.Contains(string(b), "https://quay.io/v1/") {
		t.Errorf("Save kept the legacy spelling of the key:\n%s", b)
	}
	if err := s.Remove(ctx, "quay.io"); err != nil {
		t.Fatal(err)
	}
	if got, _ := Lookup(ctx, "quay.io", "x", Settings{}, nil); !got.IsZero() {
		t.Fatalf("after Remove: got %+v", got)
	}
	if err := s.Remove(ctx, "quay.io"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("second Remove: got %v, want ErrNotFound", err)
	}
	if got, _ := Lookup(ctx, "other.io", "", Settings{}, nil); got.Username != "o" {
		t.Fatalf("Remove touched another registry: %+v", got)
	}

	// A new file in a new directory: the directory is the user's alone.
	fresh := filepath.Join(home, "new/dir/auth.json")
	if _, err := (Store{Path: fresh}).Save(ctx, "localhost:5000/team", "u", "p"); err != nil {
		t.Fatal(err)
	}
	if got, _ := Lookup(ctx, "localhost:5000", "team/app", Settings{AuthFile: fresh}, nil); got.Username != "u" {
		t.Fatalf("Save to a new file: got %+v", got)
	}
	if got, _ := Lookup(ctx, "localhost:5000", "other/app", Settings{AuthFile: fresh}, nil); !got.IsZero() {
		t.Fatalf("a namespaced login answered for another namespace: %+v", got)
	}
	if fi, err := os.Stat(filepath.Dir(fresh)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("new directory mode: %v, %v; want 0700", fi.Mode(), err)
	}

	// A file that is not JSON is refused and left as it was.
	bad := filepath.Join(home, "bad.json")
	writeFile(t, bad, `{"auths":`)
	if _, err := (Store{Path: bad}).Save(ctx, "quay.io", "u", "p"); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("Save into a broken file: %v, want ErrInvalidArgument", err)
	}
	if b, _ := os.ReadFile(bad); string(b) != `{"auths":` {
		t.Fatalf("the broken file was changed: %s", b)
	}
}

// TestStoreHelpers: with a credential helper configured for the registry
// (credHelpers) or for all (Docker's credsStore), login hands the secret
// to the helper and the file holds none; lookups find it through the
// helper; logout erases it there. The helper is a real executable.
func TestStoreHelpers(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, config string
		wantEntry    bool // Docker's empty "auths" entry for a credsStore login
	}{
		{"credHelpers", `{"credHelpers":{"reg.example:5000":"ferrytest"}}`, false},
		{"credsStore", `{"credsStore":"ferrytest"}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := isolate(t)
			h := testenv.NewCredentialHelper(t, "ferrytest")
			t.Setenv("PATH", h.Dir+string(os.PathListSeparator)+os.Getenv("PATH"))
			p := filepath.Join(home, "docker/config.json")
			writeFile(t, p, tc.config)
			s := Store{Path: p}
			where, err := s.Save(ctx, "reg.example:5000", "alice", "helper-secret")
			if err != nil || where != "docker-credential-ferrytest" {
				t.Fatalf("Save: %q, %v", where, err)
			}
			b, _ := os.ReadFile(p)
			if strings.Contains(string(b), b64("alice:helper-secret")) || strings.Contains(string(b), "helper-secret") {
				t.Fatalf("the secret went into the file:\n%s", b)
			}
			if got := strings.Contains(string(b), `"reg.example:5000": {}`); got != tc.wantEntry {
				t.Errorf("empty auths entry present: %v, want %v:\n%s", got, tc.wantEntry, b)
			}
			if !h.Holds(t, "reg.example:5000") {
				t.Fatalf("the helper holds %v", h.Servers(t))
			}
			got, err := Lookup(ctx, "reg.example:5000", "app", Settings{AuthFile: p}, nil)
			if err != nil || got != (Credential{Username: "alice", Password: "helper-secret"}) {
				t.Fatalf("Lookup through the helper: %+v, %v", got, err)
			}
			if _, err := s.Save(ctx, "reg.example:5000/team", "bob", "x"); !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Errorf("a namespaced login through a helper: %v, want ErrInvalidArgument", err)
			}
			if err := s.Remove(ctx, "reg.example:5000"); err != nil {
				t.Fatal(err)
			}
			if h.Holds(t, "reg.example:5000") {
				t.Fatal("logout left the secret in the helper")
			}
			if err := s.Remove(ctx, "reg.example:5000"); !errors.Is(err, errdefs.ErrNotFound) {
				t.Fatalf("second Remove: %v, want ErrNotFound", err)
			}
			if b, _ := os.ReadFile(p); !strings.Contains(string(b), "ferrytest") {
				t.Fatalf("logout removed the helper configuration:\n%s", b)
			}
		})
	}
}

// TestStoreDocker: --compat-auth-file writes what Docker reads.
func TestStoreDocker(t *testing.T) {
	ctx := context.Background()
	home := isolate(t)
	p := filepath.Join(home, "docker/config.json")
	s := Store{Path: p, Docker: true}
	if _, err := s.Save(ctx, "docker.io", "hubuser", "pw"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Save(ctx, "quay.io/team", "u", "p"); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("a namespaced key in Docker's file: %v, want ErrInvalidArgument", err)
	}
	b, _ := os.ReadFile(p)
	if !strings.Contains(string(b), `"https://index.docker.io/v1/"`) {
		t.Fatalf("Docker Hub is not under Docker's key:\n%s", b)
	}
	if got, _ := Lookup(ctx, "docker.io", "library/alpine", Settings{AuthFile: p}, nil); got.Username != "hubuser" {
		t.Fatalf("Lookup: %+v", got)
	}
	if err := s.Remove(ctx, "docker.io"); err != nil {
		t.Fatal(err)
	}
}

func TestStoreRemoveAll(t *testing.T) {
	ctx := context.Background()
	home := isolate(t)
	h := testenv.NewCredentialHelper(t, "ferrytest")
	t.Setenv("PATH", h.Dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	p := filepath.Join(home, "auth.json")
	writeFile(t, p, `{"credHelpers":{"helped.io":"ferrytest"}}`)
	s := Store{Path: p}
	for _, k := range []string{"a.io", "b.io/team", "helped.io"} {
		if _, err := s.Save(ctx, k, "u", "p"); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RemoveAll(ctx); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a.io", "b.io/team/x", "helped.io"} {
		host, repo, _ := strings.Cut(k, "/")
		if got, err := Lookup(ctx, host, repo, Settings{AuthFile: p}, nil); err != nil || !got.IsZero() {
			t.Errorf("after RemoveAll, %s: %+v, %v", k, got, err)
		}
	}
	if h.Holds(t, "helped.io") {
		t.Error("RemoveAll left the helper's secret")
	}
	// Nothing to remove from a file that does not exist: none is created.
	none := filepath.Join(home, "none.json")
	if err := (Store{Path: none}).RemoveAll(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(none); !os.IsNotExist(err) {
		t.Fatalf("RemoveAll created %s: %v", none, err)
	}
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		arg, key, host string
		bad            bool
	}{
		{arg: "quay.io", key: "quay.io", host: "quay.io"},
		{arg: "localhost:5000", key: "localhost:5000", host: "localhost:5000"},
		{arg: "127.0.0.1:5000/", key: "127.0.0.1:5000", host: "127.0.0.1:5000"},
		{arg: "https://quay.io/v1/", key: "quay.io", host: "quay.io"},
		{arg: "http://localhost:5000/ns/repo", key: "localhost:5000", host: "localhost:5000"},
		{arg: "quay.io/team", key: "quay.io/team", host: "quay.io"},
		{arg: "quay.io/team/app", key: "quay.io/team/app", host: "quay.io"},
		{arg: "docker.io", key: "docker.io", host: "docker.io"},
		{arg: "docker.io/alpine", key: "docker.io/library/alpine", host: "docker.io"},
		{arg: "index.docker.io/team/app", key: "docker.io/team/app", host: "index.docker.io"},
		{arg: "quay.io/team/app:1.0", bad: true},
		{arg: "quay.io/team/app@sha256:" + strings.Repeat("a", 64), bad: true},
		{arg: "quay.io/Team", bad: true},
		{arg: "nginx", bad: true},
		{arg: "docker://quay.io", bad: true},
		{arg: "", bad: true},
	}
	for _, tt := range tests {
		key, host, err := ParseKey(tt.arg)
		switch {
		case tt.bad && !errors.Is(err, errdefs.ErrInvalidArgument):
			t.Errorf("ParseKey(%q): %q, %q, %v; want ErrInvalidArgument", tt.arg, key, host, err)
		case !tt.bad && (err != nil || key != tt.key || host != tt.host):
			t.Errorf("ParseKey(%q): %q, %q, %v; want %q, %q", tt.arg, key, host, err, tt.key, tt.host)
		}
	}
}

// TestKeyMatching: one file holding keys at every level; each lookup gets
// the most specific key that covers its repository, with Docker Hub's
// spellings folded together (containers-auth.json(5)).
func TestKeyMatching(t *testing.T) {
	home := isolate(t)
	writeFile(t, filepath.Join(home, "run/containers/auth.json"), `{"auths":{
		"reg.io":{"auth":"`+b64("host:1")+`"},
		"reg.io/a":{"auth":"`+b64("a:1")+`"},
		"reg.io/a/b":{"auth":"`+b64("ab:1")+`"},
		"reg.io/a/b/c":{"auth":"`+b64("abc:1")+`"},
		"reg.io:5000":{"auth":"`+b64("port:1")+`"},
		"https://index.docker.io/v1/":{"auth":"`+b64("hub:1")+`"},
		"docker.io/library":{"auth":"`+b64("official:1")+`"},
		"index.docker.io/team/app":{"auth":"`+b64("teamapp:1")+`"}}}`)
	tests := []struct{ registry, repo, want string }{
		{"reg.io", "a/b/c", "abc"},
		{"reg.io", "a/b/c/d", "abc"},
		{"reg.io", "a/b", "ab"},
		{"reg.io", "a/bb", "a"},
		{"reg.io", "a", "a"},
		{"reg.io", "ab", "host"},
		{"reg.io", "x/a/b", "host"},
		{"reg.io:5000", "a/b", "port"},
		{"reg.io:5001", "a/b", ""},
		{"docker.io", "library/alpine", "official"},
		{"docker.io", "team/app", "teamapp"},
		{"docker.io", "team/other", "hub"},
		{"index.docker.io", "team/app", "teamapp"},
		{"registry-1.docker.io", "someone/x", "hub"},
	}
	for _, tt := range tests {
		got, err := Lookup(context.Background(), tt.registry, tt.repo, Settings{}, nil)
		if err != nil || got.Username != tt.want {
			t.Errorf("Lookup(%s, %s): user %q, %v; want %q", tt.registry, tt.repo, got.Username, err, tt.want)
		}
	}
}
