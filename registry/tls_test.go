package registry_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/registry"
	"github.com/ferrytool/ferry/registry/auth"
)

// TestTLS covers certificate directories, --tls-verify=false and plain
// HTTP, each case against a real registry.
func TestTLS(t *testing.T) {
	t.Parallel()
	tlsReg := testregistry.New(t, testregistry.Options{TLS: true})
	mtlsReg := testregistry.New(t, testregistry.Options{ClientCerts: true})
	plainReg := testregistry.New(t, testregistry.Options{})
	img := testimage.New(testimage.Options{Seed: 21})
	for _, r := range []*testregistry.Registry{tlsReg, mtlsReg, plainReg} {
		r.Push(t, "app", "1", img)
	}
	caOnly := t.TempDir()
	if err := os.WriteFile(filepath.Join(caOnly, "ca.crt"), tlsReg.CAPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	mtlsCAOnly := t.TempDir()
	if err := os.WriteFile(filepath.Join(mtlsCAOnly, "ca.crt"), mtlsReg.CAPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		reg     *testregistry.Registry
		o       registry.Options
		wantErr string // "" for success
	}{
		{"cert-dir", tlsReg, registry.Options{CertDir: tlsReg.CertDir()}, ""},
		{"no-ca", tlsReg, registry.Options{CertDir: t.TempDir()}, "certificate"},
		{"tls-verify-false", tlsReg, registry.Options{Insecure: true}, ""},
		{"client-cert", mtlsReg, registry.Options{CertDir: mtlsReg.CertDir()}, ""},
		{"client-cert-missing", mtlsReg, registry.Options{CertDir: mtlsCAOnly}, "certificate"},
		{"plain-http-needs-insecure", plainReg, registry.Options{}, "HTTP"},
		{"plain-http-insecure", plainReg, registry.Options{Insecure: true}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n, _ := reference.ParseNamed(tt.reg.Host()+"/app", false)
			o := tt.o
			o.Auth.NoCreds = true
			c, err := registry.New(context.Background(), n, &o)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_, _, _, err = c.GetManifest(context.Background(), "app", "1")
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("got %v, want success", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("got success, want an error about %s", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("got %q, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}

// TestNotARegistry checks a server without /v2/ gives a clear error.
func TestNotARegistry(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	n, _ := reference.ParseNamed(strings.TrimPrefix(srv.URL, "http://")+"/app", false)
	c, err := registry.New(context.Background(), n, &registry.Options{Insecure: true, Auth: auth.Settings{NoCreds: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _, _, err = c.GetManifest(context.Background(), "app", "1")
	if err == nil || !strings.Contains(err.Error(), "not a container registry") || errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("got %v, want a 'not a container registry' error that is not ErrNotFound", err)
	}
}
