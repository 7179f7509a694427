package serve

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/internal/ocilayout"
	"github.com/opencontainers/go-digest"
)

// TestBadInput: what a hostile or broken client sends gets the
// distribution spec's error code, and nothing unverified is stored.
func TestBadInput(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, "", Options{})
	img, _ := s.pushImage(t, "app", "1", "layer")
	good := []byte("content")
	gd := digest.FromBytes(good)
	huge := bytes.Repeat([]byte(" "), maxManifest+1)
	missing := digest.FromString("not pushed")
	tests := []struct {
		name, method, path string
		body               []byte
		header             []string
		status             int
		code               string
	}{
		{"climbing name", "GET", "/v2/../../etc/manifests/1", nil, nil, 400, codeNameInvalid},
		{"dot name", "GET", "/v2/a/../b/manifests/1", nil, nil, 400, codeNameInvalid},
		{"uppercase name", "GET", "/v2/App/tags/list", nil, nil, 400, codeNameInvalid},
		{"encoded slash climbing", "GET", "/v2/a%2F..%2Fb/manifests/1", nil, nil, 400, codeNameInvalid},
		{"unknown endpoint", "GET", "/v2/app/nothing", nil, nil, 404, codeNameUnknown},
		{"bad blob digest", "GET", "/v2/app/blobs/sha256:zz", nil, nil, 400, codeDigestInvalid},
		{"missing blob", "GET", "/v2/app/blobs/" + missing.String(), nil, nil, 404, codeBlobUnknown},
		{"missing manifest", "GET", "/v2/app/manifests/2", nil, nil, 404, codeManifestUnknown},
		{"manifest of another repository's tag", "GET", "/v2/other/manifests/1", nil, nil, 404, codeManifestUnknown},
		{"image by digest in another repository", "GET", "/v2/other/manifests/" + img.String(), nil, nil, 404, codeManifestUnknown},
		{"wrong blob digest", "POST", "/v2/app/blobs/uploads/?digest=" + digest.FromString("other").String(), good, nil, 400, codeDigestInvalid},
		{"no digest on the closing PUT", "POST", "/v2/app/blobs/uploads/?digest=", good, nil, 400, codeDigestInvalid},
		{"unknown upload", "PATCH", "/v2/app/blobs/uploads/nope", good, nil, 404, codeBlobUploadUnknown},
		{"oversize manifest", "PUT", "/v2/app/manifests/big", huge, []string{"Content-Type", "application/vnd.oci.image.manifest.v1+json"}, 413, codeSizeInvalid},
		{"malformed manifest", "PUT", "/v2/app/manifests/bad", []byte(`{"schemaVersion":2,`), []string{"Content-Type", "application/vnd.oci.image.manifest.v1+json"}, 400, codeManifestInvalid},
		{"manifest of a wrong digest", "PUT", "/v2/app/manifests/" + missing.String(), manifestJSON(gd, 7, gd, 7, ""), []string{"Content-Type", "application/vnd.oci.image.manifest.v1+json"}, 400, codeDigestInvalid},
		{"manifest naming a missing blob", "PUT", "/v2/app/manifests/2", manifestJSON(missing, 7, gd, 7, ""), []string{"Content-Type", "application/vnd.oci.image.manifest.v1+json"}, 404, codeManifestBlobUnknown},
		{"media type disagreeing with Content-Type", "PUT", "/v2/app/manifests/2", manifestJSON(gd, 7, gd, 7, ""), []string{"Content-Type", "application/vnd.oci.image.index.v1+json"}, 400, codeManifestInvalid},
		{"bad tag", "PUT", "/v2/app/manifests/-x", manifestJSON(gd, 7, gd, 7, ""), nil, 400, "TAG_INVALID"},
		{"bad page size", "GET", "/v2/app/tags/list?n=-1", nil, nil, 400, "PAGINATION_NUMBER_INVALID"},
		{"bad referrers digest", "GET", "/v2/app/referrers/latest", nil, nil, 400, codeDigestInvalid},
	}
	for _, tt := range tests {
		resp, body := s.do(t, tt.method, tt.path, tt.body, tt.header...)
		if resp.StatusCode != tt.status || errorCode(body) != tt.code {
			t.Errorf("%s: %d %s, want %d %s", tt.name, resp.StatusCode, body, tt.status, tt.code)
		}
	}
	// Nothing of the refused pushes is stored: the blob pushed with a
	// wrong digest is not under either digest, no temporary file stays.
	lay := ocilayout.At(s.reg.content.(*layoutContent).lay.Root)
	for _, d := range []digest.Digest{gd, digest.FromString("other"), missing} {
		if p, _ := lay.Blobs.Path(d); exists(p) {
			t.Errorf("blob %s was stored", d)
		}
	}
	if tmp, _ := filepath.Glob(filepath.Join(lay.Blobs.Root(), ".ferry-tmp-*")); len(tmp) > 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
	ix, _, err := lay.ReadIndex()
	if err != nil || len(ix.Manifests) != 1 {
		t.Errorf("index.json: %v, %v; want the one image pushed", ix, err)
	}
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// TestReadOnly: a read-only registry serves pulls and refuses every
// write with UNSUPPORTED, leaving the layout untouched.
func TestReadOnly(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "layout")
	rw := newTestServer(t, "oci:"+dir, Options{})
	img, m := rw.pushImage(t, "app", "1", "layer")
	rw.Close()
	rw.reg.Close()
	before, _ := os.ReadFile(filepath.Join(dir, "index.json"))

	s := newTestServer(t, "oci:"+dir, Options{ReadOnly: true})
	resp, body := s.do(t, "GET", "/v2/app/manifests/1", nil)
	if resp.StatusCode != 200 || !bytes.Equal(body, m) || resp.Header.Get("Docker-Content-Digest") != img.String() {
		t.Fatalf("pull: %s %s", resp.Status, body)
	}
	for _, w := range []struct{ method, path string }{
		{"POST", "/v2/app/blobs/uploads/"},
		{"PUT", "/v2/app/manifests/2"},
		{"DELETE", "/v2/app/manifests/1"},
		{"DELETE", "/v2/app/blobs/" + img.String()},
	} {
		resp, body := s.do(t, w.method, w.path, m, "Content-Type", "application/vnd.oci.image.manifest.v1+json")
		if resp.StatusCode != http.StatusMethodNotAllowed || errorCode(body) != codeUnsupported {
			t.Errorf("%s %s: %s %s, want 405 UNSUPPORTED", w.method, w.path, resp.Status, body)
		}
	}
	after, _ := os.ReadFile(filepath.Join(dir, "index.json"))
	if !bytes.Equal(before, after) {
		t.Error("index.json changed")
	}
	if j, _ := filepath.Glob(filepath.Join(dir, ".ferry-tmp-*")); len(j) > 0 {
		t.Errorf("a read-only registry wrote a journal: %v", j)
	}
}

// TestTagsPagination: tags in lexical order, n and last, and the Link
// header to the next page; the catalog lists repositories.
func TestTagsPagination(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, "", Options{})
	for _, tag := range []string{"c", "a", "b", "d"} {
		s.pushImage(t, "app", tag, "layer")
	}
	s.pushImage(t, "other/x", "1", "layer")
	var got struct{ Tags []string }
	resp, body := s.do(t, "GET", "/v2/app/tags/list?n=2", nil)
	json.Unmarshal(body, &got)
	if strings.Join(got.Tags, ",") != "a,b" || resp.Header.Get("Link") != `</v2/app/tags/list?last=b&n=2>; rel="next"` {
		t.Errorf("page 1: %s, Link %q", body, resp.Header.Get("Link"))
	}
	resp, body = s.do(t, "GET", "/v2/app/tags/list?n=2&last=b", nil)
	json.Unmarshal(body, &got)
	if strings.Join(got.Tags, ",") != "c,d" || resp.Header.Get("Link") != "" {
		t.Errorf("page 2: %s, Link %q", body, resp.Header.Get("Link"))
	}
	_, body = s.do(t, "GET", "/v2/_catalog", nil)
	var cat struct{ Repositories []string }
	json.Unmarshal(body, &cat)
	if strings.Join(cat.Repositories, ",") != "app,other/x" {
		t.Errorf("catalog: %s", body)
	}
}

// TestReferrersAPI: a manifest pushed with a subject is answered with
// OCI-Subject and listed by the referrers API, filtered by artifactType.
func TestReferrersAPI(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, "", Options{})
	img, _ := s.pushImage(t, "app", "1", "layer")
	cfg := s.pushBlob(t, "app", []byte("{}"))
	sbom := s.pushBlob(t, "app", []byte("sbom"))
	m := manifestJSON(cfg, 2, sbom, 4, img)
	d := digest.FromBytes(m)
	resp, body := s.do(t, "PUT", "/v2/app/manifests/"+d.String(), m, "Content-Type", "application/vnd.oci.image.manifest.v1+json")
	if resp.StatusCode != 201 || resp.Header.Get("OCI-Subject") != img.String() {
		t.Fatalf("push: %s %s, OCI-Subject %q", resp.Status, body, resp.Header.Get("OCI-Subject"))
	}
	for _, tt := range []struct {
		query string
		want  int
	}{{"", 1}, {"?artifactType=application/vnd.example.sbom", 1}, {"?artifactType=other", 0}} {
		resp, body := s.do(t, "GET", "/v2/app/referrers/"+img.String()+tt.query, nil)
		var ix struct {
			MediaType string
			Manifests []struct {
				Digest       digest.Digest
				ArtifactType string
			}
		}
		json.Unmarshal(body, &ix)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.oci.image.index.v1+json" || len(ix.Manifests) != tt.want {
			t.Errorf("referrers%s: %s %s", tt.query, resp.Status, body)
		}
		if tt.want == 1 && (ix.Manifests[0].Digest != d || ix.Manifests[0].ArtifactType != "application/vnd.example.sbom") {
			t.Errorf("referrers%s: %s", tt.query, body)
		}
		if filtered := resp.Header.Get("OCI-Filters-Applied"); (tt.query != "") != (filtered == "artifactType") {
			t.Errorf("referrers%s: OCI-Filters-Applied %q", tt.query, filtered)
		}
	}
}

// TestChunkedUpload: chunks in order are appended, one out of order is
// refused with 416 and leaves the upload as it was.
func TestChunkedUpload(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, "", Options{})
	resp, _ := s.do(t, "POST", "/v2/app/blobs/uploads/", nil)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != 202 || loc == "" {
		t.Fatalf("start: %s", resp.Status)
	}
	blob := []byte("0123456789")
	resp, _ = s.do(t, "PATCH", loc, blob[:4], "Content-Range", "0-3")
	if resp.StatusCode != 202 || resp.Header.Get("Range") != "0-3" {
		t.Fatalf("chunk 1: %s, Range %q", resp.Status, resp.Header.Get("Range"))
	}
	resp, _ = s.do(t, "PATCH", loc, blob[6:], "Content-Range", "6-9")
	if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable || resp.Header.Get("Range") != "0-3" {
		t.Fatalf("out of order: %s, Range %q", resp.Status, resp.Header.Get("Range"))
	}
	resp, _ = s.do(t, "PATCH", loc, blob[4:8], "Content-Range", "4-7")
	if resp.StatusCode != 202 {
		t.Fatalf("chunk 2: %s", resp.Status)
	}
	d := digest.FromBytes(blob)
	resp, body := s.do(t, "PUT", loc+"?digest="+d.String(), blob[8:])
	if resp.StatusCode != 201 || resp.Header.Get("Docker-Content-Digest") != d.String() {
		t.Fatalf("close: %s %s", resp.Status, body)
	}
	resp, body = s.do(t, "GET", "/v2/app/blobs/"+d.String(), nil, "Range", "bytes=2-5")
	if resp.StatusCode != 206 || string(body) != "2345" {
		t.Errorf("range: %s %q", resp.Status, body)
	}
}
