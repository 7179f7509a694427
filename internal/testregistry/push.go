package testregistry

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/opencontainers/go-digest"
)

// HelperUserAgent is the User-Agent of the helper's own requests (Push,
// Manifest, HasBlob, ...), so tests can tell them from the client's.
const HelperUserAgent = "ferry-testregistry"

// Push stores img in repo with plain distribution-spec calls (independent
// of ferry's own client) and tags it; tag "" stores it by digest only.
func (r *Registry) Push(t testing.TB, repo, tag string, img *testimage.Image) {
	t.Helper()
	r.pushBlobs(t, repo, img)
	ref := tag
	if ref == "" {
		ref = img.Digest.String()
	}
	r.PutManifest(t, repo, ref, img.Manifest, img.MediaType)
}

// PushIndex stores ix, its instances (by digest) and their blobs in repo,
// tagging the index; tag "" stores it by digest only.
func (r *Registry) PushIndex(t testing.TB, repo, tag string, ix *testimage.Index) {
	t.Helper()
	for _, img := range ix.Images {
		r.pushBlobs(t, repo, img)
		r.PutManifest(t, repo, img.Digest.String(), img.Manifest, img.MediaType)
	}
	ref := tag
	if ref == "" {
		ref = ix.Digest.String()
	}
	r.PutManifest(t, repo, ref, ix.Manifest, ix.MediaType)
}

func (r *Registry) pushBlobs(t testing.TB, repo string, img *testimage.Image) {
	t.Helper()
	for _, d := range append([]digest.Digest{img.Config.Digest}, layerDigests(img)...) {
		r.PutBlob(t, repo, img.Blobs[d])
	}
}

func layerDigests(img *testimage.Image) []digest.Digest {
	out := make([]digest.Digest, len(img.Layers))
	for i, l := range img.Layers {
		out[i] = l.Digest
	}
	return out
}

// PutBlob uploads b to repo in one POST + PUT and returns its digest.
func (r *Registry) PutBlob(t testing.TB, repo string, b []byte) digest.Digest {
	t.Helper()
	d := digest.FromBytes(b)
	resp := r.do(t, repo, http.MethodPost, r.URL+"/v2/"+repo+"/blobs/uploads/", nil, "")
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("testregistry: start upload to %s: status %d", repo, resp.StatusCode)
	}
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("testregistry: upload location: %v", err)
	}
	q := loc.Query()
	q.Set("digest", d.String())
	loc.RawQuery = q.Encode()
	resp = r.do(t, repo, http.MethodPut, loc.String(), b, "application/octet-stream")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("testregistry: finish upload of %s to %s: status %d", d, repo, resp.StatusCode)
	}
	return d
}

// PutManifest stores manifest bytes in repo under ref (a tag or digest).
func (r *Registry) PutManifest(t testing.TB, repo, ref string, b []byte, mediaType string) {
	t.Helper()
	resp := r.do(t, repo, http.MethodPut, r.URL+"/v2/"+repo+"/manifests/"+url.PathEscape(ref), b, mediaType)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("testregistry: put manifest %s:%s: status %d", repo, ref, resp.StatusCode)
	}
}

// Manifest fetches the manifest of repo at ref as stored, or reports
// found=false.
func (r *Registry) Manifest(t testing.TB, repo, ref string) (b []byte, mediaType string, found bool) {
	t.Helper()
	req := r.request(t, repo, http.MethodGet, r.URL+"/v2/"+repo+"/manifests/"+url.PathEscape(ref), nil, "")
	req.Header.Set("Accept", "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "+
		"application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json")
	resp, b := r.send(t, req)
	switch resp.StatusCode {
	case http.StatusOK:
		return b, resp.Header.Get("Content-Type"), true
	case http.StatusNotFound:
		return nil, "", false
	}
	t.Fatalf("testregistry: get manifest %s:%s: status %d", repo, ref, resp.StatusCode)
	return nil, "", false
}

// HasBlob reports whether repo holds the blob d.
func (r *Registry) HasBlob(t testing.TB, repo string, d digest.Digest) bool {
	t.Helper()
	resp := r.do(t, repo, http.MethodHead, r.URL+"/v2/"+repo+"/blobs/"+d.String(), nil, "")
	return resp.StatusCode == http.StatusOK
}

func (r *Registry) request(t testing.TB, repo, method, u string, body []byte, contentType string) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatalf("testregistry: %v", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("User-Agent", HelperUserAgent)
	if err := r.admin(req, repo); err != nil {
		t.Fatalf("testregistry: %v", err)
	}
	return req
}

func (r *Registry) do(t testing.TB, repo, method, u string, body []byte, contentType string) *http.Response {
	t.Helper()
	resp, _ := r.send(t, r.request(t, repo, method, u, body, contentType))
	return resp
}

func (r *Registry) send(t testing.TB, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := r.client.Do(req)
	if err != nil {
		t.Fatalf("testregistry: %s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("testregistry: %s %s: %v", req.Method, req.URL.Path, fmt.Errorf("read body: %w", err))
	}
	return resp, b
}
