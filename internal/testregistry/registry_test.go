package testregistry

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/ferrytool/ferry/internal/testimage"
)

// TestModes pushes an image in every mode and reads it back with raw
// calls, checking that auth is actually enforced.
func TestModes(t *testing.T) {
	t.Parallel()
	creds := &Creds{Username: "alice", Password: "s3cret"}
	tests := []struct {
		name string
		opts Options
		// anonStatus is what an unauthenticated GET /v2/ answers.
		anonStatus int
	}{
		{"plain", Options{}, http.StatusOK},
		{"tls", Options{TLS: true}, http.StatusOK},
		{"client-certs", Options{ClientCerts: true}, http.StatusOK},
		{"basic", Options{Basic: creds}, http.StatusUnauthorized},
		{"token", Options{Token: true, Basic: creds}, http.StatusUnauthorized},
		{"token-anonymous", Options{Token: true}, http.StatusUnauthorized},
		{"redirect", Options{Redirect: true, Basic: creds}, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := New(t, tt.opts)
			img := testimage.New(testimage.Options{Seed: 3})
			r.Push(t, "team/app", "v1", img)

			b, mt, ok := r.Manifest(t, "team/app", "v1")
			if !ok || !bytes.Equal(b, img.Manifest) || mt != img.MediaType {
				t.Fatalf("manifest: got found=%v type %q, want the pushed manifest of type %q", ok, mt, img.MediaType)
			}
			if !r.HasBlob(t, "team/app", img.Layers[0].Digest) {
				t.Fatalf("layer %s missing after push", img.Layers[0].Digest)
			}
			resp, err := r.HTTPClient().Get(r.URL + "/v2/")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.anonStatus {
				t.Errorf("anonymous GET /v2/: got %d, want %d", resp.StatusCode, tt.anonStatus)
			}
			if tt.opts.TLS || tt.opts.ClientCerts {
				if r.CertDir() == "" || len(r.CAPEM()) == 0 {
					t.Errorf("TLS registry without CertDir or CA PEM")
				}
			}
		})
	}
}

// TestRedirectServesBlob follows the blob redirect with the helper's own
// client and checks the bytes come from the second host.
func TestRedirectServesBlob(t *testing.T) {
	t.Parallel()
	r := New(t, Options{Redirect: true})
	img := testimage.New(testimage.Options{Seed: 4})
	r.Push(t, "app", "1", img)
	l := img.Layers[1]
	resp, err := r.HTTPClient().Get(r.URL + "/v2/app/blobs/" + l.Digest.String())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, img.Blobs[l.Digest]) {
		t.Fatalf("blob via redirect: status %d, %d bytes, want 200 and %d bytes", resp.StatusCode, len(got), l.Size)
	}
	red := r.RedirectRequests()
	if len(red) != 1 || red[0].Host[:10] != "127.0.0.2:" {
		t.Fatalf("redirect target requests: got %+v, want one to 127.0.0.2", red)
	}
}

// TestTokenServerDeniesWrongPassword checks the token server refuses bad
// credentials, as a client's wrong-password test relies on.
func TestTokenServerDeniesWrongPassword(t *testing.T) {
	t.Parallel()
	r := New(t, Options{Token: true, Basic: &Creds{Username: "u", Password: "right"}})
	req, _ := http.NewRequest(http.MethodGet, r.TokenURL()+"?service=x&scope=repository:a:pull", nil)
	req.SetBasicAuth("u", "wrong")
	resp, err := r.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("token with wrong password: got %d, want 401", resp.StatusCode)
	}
}
