package docker_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/registry/auth"
)

// TestCredentialFiles pushes to protected registries with credentials
// found in an auth.json, a Docker config.json, a docker-credential-*
// helper and an identity token, as a login would have left them. It
// changes HOME, PATH and the XDG variables, so it does not run in
// parallel.
func TestCredentialFiles(t *testing.T) {
	basic := base64.StdEncoding.EncodeToString([]byte(bob.Username + ":" + bob.Password))
	tests := []struct {
		name  string
		reg   testregistry.Options
		setup func(t *testing.T, home, host string) auth.Settings
		// wantPOST: the token came from the OAuth2 POST form.
		wantPOST bool
	}{
		{"authfile-option", testregistry.Options{Basic: bob}, func(t *testing.T, home, host string) auth.Settings {
			p := filepath.Join(home, "auth.json")
			write(t, p, `{"auths":{"`+host+`":{"auth":"`+basic+`"}}}`)
			return auth.Settings{AuthFile: p}
		}, false},
		{"xdg-runtime-auth-json-namespace", testregistry.Options{Token: true, Basic: bob}, func(t *testing.T, home, host string) auth.Settings {
			write(t, filepath.Join(home, "run/containers/auth.json"),
				`{"auths":{"`+host+`":{"auth":"`+base64.StdEncoding.EncodeToString([]byte("bob:wrong"))+`"},"`+host+`/team":{"auth":"`+basic+`"}}}`)
			return auth.Settings{}
		}, false},
		{"docker-config", testregistry.Options{TLS: true, Basic: bob}, func(t *testing.T, home, host string) auth.Settings {
			write(t, filepath.Join(home, ".docker/config.json"), `{"auths":{"`+host+`":{"auth":"`+basic+`"}}}`)
			return auth.Settings{}
		}, false},
		{"credential-helper", testregistry.Options{Token: true, Basic: bob}, func(t *testing.T, home, host string) auth.Settings {
			bin := filepath.Join(home, "bin")
			write(t, filepath.Join(bin, "docker-credential-ferrytest"), `#!/bin/sh
[ "$1" = get ] || exit 1
read server
[ "$server" = "`+host+`" ] || { echo "credentials not found in native keychain"; exit 1; }
echo '{"ServerURL":"`+host+`","Username":"`+bob.Username+`","Secret":"`+bob.Password+`"}'
`)
			if err := os.Chmod(filepath.Join(bin, "docker-credential-ferrytest"), 0o755); err != nil {
				t.Fatal(err)
			}
			t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
			write(t, filepath.Join(home, ".docker/config.json"), `{"credHelpers":{"`+host+`":"ferrytest"}}`)
			return auth.Settings{}
		}, false},
		{"identity-token", testregistry.Options{Token: true, Basic: bob}, func(t *testing.T, home, host string) auth.Settings {
			write(t, filepath.Join(home, "run/containers/auth.json"),
				`{"auths":{"`+host+`":{"auth":"`+base64.StdEncoding.EncodeToString([]byte("bob:"))+`","identitytoken":"`+testregistry.RefreshToken+`"}}}`)
			return auth.Settings{}
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := t.TempDir()
			t.Setenv("HOME", home)
			t.Setenv("XDG_RUNTIME_DIR", filepath.Join(home, "run"))
			t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
			t.Setenv("REGISTRY_AUTH_FILE", "")
			t.Setenv("DOCKER_CONFIG", "")
			reg := testregistry.New(t, tt.reg)
			o := opts(reg)
			o.Auth = tt.setup(t, home, reg.Host())
			img := testimage.New(testimage.Options{Seed: 51})
			src, dst := open(t, ref(t, reg, "team/app:1"), o)
			if err := img.Write(context.Background(), dst); err != nil {
				t.Fatalf("push: %v", err)
			}
			checkImage(t, src, img, false)
			posts := 0
			for _, tr := range reg.TokenRequests() {
				if tr.Method == http.MethodPost {
					posts++
				}
				if !tr.Authenticated {
					t.Errorf("token request without valid credentials: %+v", tr)
				}
			}
			if (posts > 0) != tt.wantPOST {
				t.Errorf("OAuth2 POST token requests: %d, want them: %v", posts, tt.wantPOST)
			}
		})
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
