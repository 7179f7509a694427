package artifacts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ferrytool/ferry/artifacts"
	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// referrersAPI stands in for the OCI 1.1 referrers API, a capability no
// registry available to these tests has: distribution 3.1.2 (the
// in-process registry, Debian's docker-registry) answers 404 there, and
// zot and olareg, which implement it, cannot be fetched here. It wraps the
// real registry, which still stores and serves every manifest and blob,
// and adds only what a registry with the API does: a manifest pushed with
// a subject is answered with OCI-Subject and indexed, and GET
// /v2/NAME/referrers/DIGEST lists what is indexed (filtered by
// ?artifactType=, said with OCI-Filters-Applied).
type referrersAPI struct {
	mu   sync.Mutex
	refs map[string][]ocispec.Descriptor // "NAME@SUBJECT" -> referrers
}

func (a *referrersAPI) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if name, d, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/v2/"), "/referrers/"); ok && r.Method == http.MethodGet {
			a.list(w, r, name+"@"+d)
			return
		}
		name, _, isManifest := strings.Cut(strings.TrimPrefix(r.URL.Path, "/v2/"), "/manifests/")
		if r.Method != http.MethodPut || !isManifest {
			next.ServeHTTP(w, r)
			return
		}
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		var m struct {
			ArtifactType string              `json:"artifactType"`
			Config       *ocispec.Descriptor `json:"config"`
			Subject      *ocispec.Descriptor `json:"subject"`
			Annotations  map[string]string   `json:"annotations"`
		}
		if json.Unmarshal(b, &m) != nil || m.Subject == nil {
			next.ServeHTTP(w, r)
			return
		}
		rec := &statusWriter{ResponseWriter: w}
		w.Header().Set("OCI-Subject", m.Subject.Digest.String())
		next.ServeHTTP(rec, r)
		if rec.status != http.StatusCreated {
			return
		}
		d := ocispec.Descriptor{MediaType: r.Header.Get("Content-Type"), Digest: digest.FromBytes(b), Size: int64(len(b)), ArtifactType: m.ArtifactType, Annotations: m.Annotations}
		if d.ArtifactType == "" && m.Config != nil {
			d.ArtifactType = m.Config.MediaType
		}
		key := name + "@" + m.Subject.Digest.String()
		a.mu.Lock()
		if !slices.ContainsFunc(a.refs[key], func(x ocispec.Descriptor) bool { return x.Digest == d.Digest }) {
			a.refs[key] = append(a.refs[key], d)
		}
		a.mu.Unlock()
	})
}

func (a *referrersAPI) list(w http.ResponseWriter, r *http.Request, key string) {
	a.mu.Lock()
	ix := ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{}}
	want := r.URL.Query().Get("artifactType")
	for _, d := range a.refs[key] {
		if want == "" || d.ArtifactType == want {
			ix.Manifests = append(ix.Manifests, d)
		}
	}
	a.mu.Unlock()
	if want != "" {
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	w.Header().Set("Content-Type", ocispec.MediaTypeImageIndex)
	_ = json.NewEncoder(w).Encode(ix)
}

func (a *referrersAPI) digests(key string) []digest.Digest {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []digest.Digest
	for _, d := range a.refs[key] {
		out = append(out, d.Digest)
	}
	return out
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (f *fixture) refAt(t *testing.T, reg *testregistry.Registry, name string) transport.Reference {
	t.Helper()
	r, err := f.t.ParseReference("//" + reg.Ref(name))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestReferrersAPIFallback: the real registry has no referrers API; the
// copy asks it, and finds and writes the referrers under the tag schema.
func TestReferrersAPIFallback(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sbom := f.artifact(t, "src", "application/spdx+json", `{"spdxVersion":"SPDX-2.3"}`, f.image)
	f.index(t, "src", f.image, sbom)
	copyImage(t, f, "dst:1")
	f.reg.ResetRequests()
	if _, err := artifacts.Copy(context.Background(), f.ref(t, "src:1"), f.ref(t, "dst:1"), f.image, artifacts.Options{}); err != nil {
		t.Fatal(err)
	}
	asked := map[string]bool{}
	for _, r := range f.reg.Requests() {
		asked[r.Method+" "+r.Path] = true
	}
	for _, want := range []string{
		"GET /v2/src/referrers/" + f.image.String(),
		"GET /v2/src/manifests/" + tagOf(f.image, ""),
		"PUT /v2/dst/manifests/" + tagOf(f.image, ""),
	} {
		if !asked[want] {
			t.Errorf("no %s (requests: %v)", want, asked)
		}
	}
	if got := f.referrers(t, "dst", f.image); len(got) != 1 || got[0] != sbom.Digest {
		t.Errorf("destination's tag schema index: %v", got)
	}
}

// TestReferrersAPI: to a registry serving the referrers API, referrers
// are pushed with their subject and left to its indexing (no tag schema
// index is written); from it, they are listed through the API (it holds
// no tag schema index to find them by) and arrive at a registry without
// the API under the tag schema, digests kept.
func TestReferrersAPI(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	sbom, att, sbomSig := f.sbomAndAttestation(t)

	api := &referrersAPI{refs: map[string][]ocispec.Descriptor{}}
	withAPI := testregistry.New(t, testregistry.Options{Wrap: api.wrap})
	mid := f.refAt(t, withAPI, "mid:1")
	if _, err := copier.Copy(ctx, f.ref(t, "src:1"), mid, copier.Options{PreserveDigests: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := artifacts.Copy(ctx, f.ref(t, "src:1"), mid, f.image, artifacts.Options{}); err != nil {
		t.Fatal(err)
	}
	if got := api.digests("mid@" + f.image.String()); len(got) != 2 || !slices.Contains(got, sbom.Digest) || !slices.Contains(got, att.Digest) {
		t.Errorf("the API registry indexed %v for the image", got)
	}
	if got := api.digests("mid@" + sbom.Digest.String()); len(got) != 1 || got[0] != sbomSig.Digest {
		t.Errorf("the API registry indexed %v for the SBOM", got)
	}
	for _, d := range []digest.Digest{f.image, sbom.Digest} {
		if _, _, ok := withAPI.Manifest(t, "mid", tagOf(d, "")); ok {
			t.Errorf("a tag schema index %s was written to a registry with the referrers API", tagOf(d, ""))
		}
	}

	plain := testregistry.New(t, testregistry.Options{})
	back := f.refAt(t, plain, "back:1")
	if _, err := copier.Copy(ctx, mid, back, copier.Options{PreserveDigests: true}); err != nil {
		t.Fatal(err)
	}
	done, err := artifacts.Copy(ctx, mid, back, f.image, artifacts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(done) != 3 {
		t.Errorf("from the API registry: copied %+v, want the SBOM, the attestation and the SBOM's signature", done)
	}
	for subject, want := range map[digest.Digest][]digest.Digest{f.image: {sbom.Digest, att.Digest}, sbom.Digest: {sbomSig.Digest}} {
		b, _, ok := plain.Manifest(t, "back", tagOf(subject, ""))
		var ix ocispec.Index
		if !ok || json.Unmarshal(b, &ix) != nil {
			t.Errorf("no tag schema index for %s at the registry without the API", subject)
			continue
		}
		var got []digest.Digest
		for _, m := range ix.Manifests {
			got = append(got, m.Digest)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("referrers of %s at the registry without the API: %v, want %v", subject, got, want)
		}
	}
}
