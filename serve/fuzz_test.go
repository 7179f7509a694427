package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferrytool/ferry/internal/ocilayout"
)

// FuzzRequests sends the registry arbitrary requests, as a hostile
// client would: whatever the method, path, body and Content-Type, the
// answer is not a server error, an error carries the spec's JSON body,
// nothing is written outside the layout and index.json stays a valid
// index.
func FuzzRequests(f *testing.F) {
	for _, s := range []struct{ method, path, ct, body string }{
		{"GET", "/v2/", "", ""},
		{"GET", "/v2/app/manifests/1", "", ""},
		{"PUT", "/v2/app/manifests/2", "application/vnd.oci.image.manifest.v1+json", `{"schemaVersion":2,"config":{"digest":"sha256:` + "aa" + `"}}`},
		{"PUT", "/v2/app/manifests/3", "application/vnd.oci.image.index.v1+json", `{"schemaVersion":2,"manifests":[]}`},
		{"POST", "/v2/app/blobs/uploads/?digest=sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae", "", "foo"},
		{"POST", "/v2/app/blobs/uploads/?mount=sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae&from=x", "", ""},
		{"PATCH", "/v2/app/blobs/uploads/00", "", "chunk"},
		{"DELETE", "/v2/app/manifests/1", "", ""},
		{"DELETE", "/v2/app/blobs/sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae", "", ""},
		{"GET", "/v2/app/tags/list?n=1&last=a", "", ""},
		{"GET", "/v2/_catalog?n=0", "", ""},
		{"GET", "/v2/app/referrers/sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae?artifactType=x", "", ""},
		{"GET", "/v2/../../../etc/passwd/manifests/x", "", ""},
		{"GET", "/v2/a/blobs/sha256:../../../../etc/passwd", "", ""},
	} {
		f.Add(s.method, s.path, s.ct, []byte(s.body))
	}
	parent := f.TempDir()
	layout := filepath.Join(parent, "layout")
	reg, err := Open(context.Background(), "oci:"+layout, Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { reg.Close() })
	f.Fuzz(func(t *testing.T, method, path, contentType string, body []byte) {
		req, err := http.NewRequest(method, "http://registry"+path, bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", contentType)
		rec := httptest.NewRecorder()
		reg.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && rec.Code != http.StatusRequestedRangeNotSatisfiable {
			var e struct{ Errors []struct{ Code string } }
			if json.Unmarshal(rec.Body.Bytes(), &e) != nil || len(e.Errors) == 0 || e.Errors[0].Code == "" {
				t.Fatalf("%s %s: %d with no error document: %q", method, path, rec.Code, rec.Body)
			}
		}
		ents, err := os.ReadDir(parent)
		if err != nil || len(ents) != 1 || ents[0].Name() != "layout" {
			t.Fatalf("%s %s wrote beside the layout: %v", method, path, ents)
		}
		if _, _, err := ocilayout.At(layout).ReadIndex(); err != nil {
			t.Fatalf("%s %s left index.json unreadable: %v", method, path, err)
		}
	})
}
