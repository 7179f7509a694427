package auth

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// isolate points every credential location into a fresh directory.
func isolate(t *testing.T) (home string) {
	home = t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_RUNTIME_DIR", filepath.Join(home, "run"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	t.Setenv("REGISTRY_AUTH_FILE", "")
	t.Setenv("DOCKER_CONFIG", "")
	return home
}

// writeHelper installs docker-credential-NAME on PATH: a shell script
// answering "get" for server with user and secret, and "credentials not
// found" otherwise.
func writeHelper(t *testing.T, name, server, user, secret string) {
	t.Helper()
	dir := t.TempDir()
	script := `#!/bin/sh
[ "$1" = get ] || exit 1
read server
if [ "$server" = "` + server + `" ]; then
  printf '{"ServerURL":"%s","Username":"` + user + `","Secret":"` + secret + `"}' "$server"
  exit 0
fi
echo "credentials not found in native keychain"
exit 1
`
	writeFile(t, filepath.Join(dir, "docker-credential-"+name), script)
	if err := os.Chmod(filepath.Join(dir, "docker-credential-"+name), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

func TestLookup(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(t *testing.T, home string) Settings
		registry string
		repo     string
		want     Credential
	}{
		{"explicit", func(t *testing.T, home string) Settings {
			return Settings{Username: "u", Password: "p"}
		}, "quay.io", "a/b", Credential{Username: "u", Password: "p"}},
		{"bearer-token", func(t *testing.T, home string) Settings {
			return Settings{BearerToken: "tok"}
		}, "quay.io", "a/b", Credential{RegistryToken: "tok"}},
		{"no-creds-ignores-files", func(t *testing.T, home string) Settings {
			writeFile(t, filepath.Join(home, "run/containers/auth.json"), `{"auths":{"quay.io":{"auth":"`+b64("u:p")+`"}}}`)
			return Settings{NoCreds: true}
		}, "quay.io", "a/b", Credential{}},
		{"primary-auth-json", func(t *testing.T, home string) Settings {
			writeFile(t, filepath.Join(home, "run/containers/auth.json"), `{"auths":{"quay.io":{"auth":"`+b64("u:p:with:colons")+`"}}}`)
			return Settings{}
		}, "quay.io", "a/b", Credential{Username: "u", Password: "p:with:colons"}},
		{"most-specific-namespace-wins", func(t *testing.T, home string) Settings {
			writeFile(t, filepath.Join(home, "run/containers/auth.json"), `{"auths":{
				"quay.io":{"auth":"`+b64("host:1")+`"},
				"quay.io/a":{"auth":"`+b64("ns:2")+`"},
				"quay.io/a/b":{"auth":"`+b64("repo:3")+`"},
				"quay.io/a/c":{"auth":"`+b64("other:4")+`"}}}`)
			return Settings{}
		}, "quay.io", "a/b", Credential{Username: "repo", Password: "3"}},
		{"namespace-before-host", func(t *testing.T, home string) Settings {
			writeFile(t, filepath.Join(home, "run/containers/auth.json"), `{"auths":{
				"quay.io":{"auth":"`+b64("host:1")+`"},
				"quay.io/a":{"auth":"`+b64("ns:2")+`"}}}`)
			return Settings{}
		}, "quay.io", "a/z", Credential{Username: "ns", Password: "2"}},
		{"authfile-option-only", func(t *testing.T, home string) Settings {
			p := filepath.Join(home, "mine.json")
			writeFile(t, p, `{"auths":{"other.io":{"auth":"`+b64("x:y")+`"}}}`)
			writeFile(t, filepath.Join(home, ".docker/config.json"), `{"auths":{"quay.io":{"auth":"`+b64("docker:1")+`"}}}`)
			return Settings{AuthFile: p}
		}, "quay.io", "a", Credential{}},
		{"registry-auth-file-env", func(t *testing.T, home string) Settings {
			p := filepath.Join(home, "env.json")
			writeFile(t, p, `{"auths":{"quay.io":{"auth":"`+b64("env:1")+`"}}}`)
			t.Setenv("REGISTRY_AUTH_FILE", p)
			return Settings{}
		}, "quay.io", "a", Credential{Username: "env", Password: "1"}},
		{"xdg-config-home", func(t *testing.T, home string) Settings {
			writeFile(t, filepath.Join(home, "config/containers/auth.json"), `{"auths":{"quay.io":{"auth":"`+b64("cfg:1")+`"}}}`)
			return Settings{}
		}, "quay.io", "a", Credential{Username: "cfg", Password: "1"}},
		{"primary-before-docker", func(t *testing.T, home string) Settings {
			writeFile(t, filepath.Join(home, "run/containers/auth.json"), `{"auths":{"quay.io":{"auth":"`+b64("primary:1")+`"}}}`)
			writeFile(t, filepath.Join(home, ".docker/config.json"), `{"auths":{"quay.io":{"auth":"`+b64("docker:1")+`"}}}`)
			return Settings{}
		}, "quay.io", "a", Credential{Username: "primary", Password: "1"}},
		{"docker-hub-legacy-key", func(t *testing.T, home string) Settings {
			writeFile(t, filepath.Join(home, ".docker/config.json"), `{"auths":{"https://index.docker.io/v1/":{"auth":"`+b64("hub:1")+`"}}}`)
			return Settings{}
		}, "docker.io", "library/nginx", Credential{Username: "hub", Password: "1"}},
		{"docker-config-env", func(t *testing.T, home string) Settings {
			d := filepath.Join(home, "dockercfgdir")
			writeFile(t, filepath.Join(d, "config.json"), `{"auths":{"docker.io":{"auth":"`+b64("dc:1")+`"}}}`)
			t.Setenv("DOCKER_CONFIG", d)
			return Settings{}
		}, "docker.io", "library/nginx", Credential{Username: "dc", Password: "1"}},
		{"dockercfg-legacy", func(t *testing.T, home string) Settings {
			writeFile(t, filepath.Join(home, ".dockercfg"), `{"https://quay.io":{"auth":"`+b64("old:1")+`"}}`)
			return Settings{}
		}, "quay.io", "a", Credential{Username: "old", Password: "1"}},
		{"identity-token", func(t *testing.T, home string) Settings {
			writeFile(t, filepath.Join(home, "run/containers/auth.json"), `{"auths":{"quay.io":{"auth":"`+b64("u:")+`","identitytoken":"refresh"}}}`)
			return Settings{}
		}, "quay.io", "a", Credential{Username: "u", IdentityToken: "refresh"}},
		{"cred-helper", func(t *testing.T, home string) Settings {
			writeHelper(t, "ferrytest", "quay.io", "helper-user", "helper-secret")
			writeFile(t, filepath.Join(home, ".docker/config.json"), `{"credHelpers":{"quay.io":"ferrytest"}}`)
			return Settings{}
		}, "quay.io", "a", Credential{Username: "helper-user", Password: "helper-secret"}},
		{"cred-helper-identity-token", func(t *testing.T, home string) Settings {
			writeHelper(t, "ferrytok", "quay.io", "<token>", "refresh-2")
			writeFile(t, filepath.Join(home, "run/containers/auth.json"), `{"credHelpers":{"quay.io":"ferrytok"}}`)
			return Settings{}
		}, "quay.io", "a", Credential{IdentityToken: "refresh-2"}},
		{"cred-helper-not-found-falls-through", func(t *testing.T, home string) Settings {
			writeHelper(t, "ferryempty", "elsewhere.io", "x", "y")
			writeFile(t, filepath.Join(home, "run/containers/auth.json"), `{"credHelpers":{"quay.io":"ferryempty"}}`)
			writeFile(t, filepath.Join(home, ".docker/config.json"), `{"auths":{"quay.io":{"auth":"`+b64("next:1")+`"}}}`)
			return Settings{}
		}, "quay.io", "a", Credential{Username: "next", Password: "1"}},
		{"creds-store-docker-hub", func(t *testing.T, home string) Settings {
			writeHelper(t, "ferrystore", "https://index.docker.io/v1/", "store-user", "store-secret")
			writeFile(t, filepath.Join(home, ".docker/config.json"), `{"auths":{"https://index.docker.io/v1/":{}},"credsStore":"ferrystore"}`)
			return Settings{}
		}, "docker.io", "library/nginx", Credential{Username: "store-user", Password: "store-secret"}},
		{"nothing", func(t *testing.T, home string) Settings { return Settings{} }, "quay.io", "a", Credential{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := isolate(t)
			a := tt.setup(t, home)
			got, err := Lookup(context.Background(), tt.registry, tt.repo, a, nil)
			if err != nil {
				t.Fatalf("Lookup: %v", err)
			}
			if got != tt.want {
				t.Fatalf("got %s %+v, want %+v", got, got, tt.want)
			}
		})
	}
}

func TestLookupErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, home string)
		want  string
	}{
		{"bad-json", func(t *testing.T, home string) {
			writeFile(t, filepath.Join(home, "run/containers/auth.json"), `{"auths":`)
		}, "not a valid credentials file"},
		{"bad-base64", func(t *testing.T, home string) {
			writeFile(t, filepath.Join(home, "run/containers/auth.json"), `{"auths":{"quay.io":{"auth":"%%%"}}}`)
		}, "not valid base64"},
		{"helper-missing", func(t *testing.T, home string) {
			writeFile(t, filepath.Join(home, "run/containers/auth.json"), `{"credHelpers":{"quay.io":"ferry-no-such-helper"}}`)
		}, "docker-credential-ferry-no-such-helper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := isolate(t)
			tt.setup(t, home)
			_, err := Lookup(context.Background(), "quay.io", "a", Settings{}, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}
