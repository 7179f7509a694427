package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/opencontainers/go-digest"
)

// testServer serves a new layout (or name) through httptest.
type testServer struct {
	*httptest.Server
	reg *Registry
}

func newTestServer(t *testing.T, name string, o Options) *testServer {
	t.Helper()
	if name == "" {
		name = "oci:" + t.TempDir() + "/layout"
	}
	reg, err := Open(context.Background(), name, o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(reg)
	t.Cleanup(func() {
		srv.Close()
		reg.Close()
	})
	return &testServer{Server: srv, reg: reg}
}

// do sends a request and returns the response with its body read.
func (s *testServer) do(t *testing.T, method, path string, body []byte, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// pushBlob uploads b monolithically.
func (s *testServer) pushBlob(t *testing.T, repo string, b []byte) digest.Digest {
	t.Helper()
	d := digest.FromBytes(b)
	resp, body := s.do(t, http.MethodPost, "/v2/"+repo+"/blobs/uploads/?digest="+d.String(), b)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("blob push: %s %s", resp.Status, body)
	}
	return d
}

// pushImage pushes a one-layer OCI image under tag and returns its
// manifest's digest and bytes.
func (s *testServer) pushImage(t *testing.T, repo, tag, layer string) (digest.Digest, []byte) {
	t.Helper()
	cfg := s.pushBlob(t, repo, []byte(`{"architecture":"amd64","os":"linux"}`))
	l := s.pushBlob(t, repo, []byte(layer))
	m := manifestJSON(cfg, 37, l, int64(len(layer)), "")
	resp, body := s.do(t, http.MethodPut, "/v2/"+repo+"/manifests/"+tag, m, "Content-Type", "application/vnd.oci.image.manifest.v1+json")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("manifest push: %s %s", resp.Status, body)
	}
	return digest.FromBytes(m), m
}

// manifestJSON is an OCI image manifest; subject, when set, is a
// manifest digest it refers to.
func manifestJSON(cfg digest.Digest, cfgSize int64, layer digest.Digest, layerSize int64, subject digest.Digest) []byte {
	m := map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg, "size": cfgSize},
		"layers": []any{map[string]any{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": layerSize}},
	}
	if subject != "" {
		m["subject"] = map[string]any{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": subject, "size": 1}
		m["artifactType"] = "application/vnd.example.sbom"
	}
	b, _ := json.Marshal(m)
	return b
}

// errorCode is the first code of a distribution error body.
func errorCode(b []byte) string {
	var e struct{ Errors []struct{ Code string } }
	if json.Unmarshal(b, &e) != nil || len(e.Errors) == 0 {
		return ""
	}
	return e.Errors[0].Code
}
