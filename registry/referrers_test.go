package registry_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestGetReferrersFallback: the real registry (distribution 3.1.2) has no
// referrers API; GetReferrers says so rather than failing.
func TestGetReferrersFallback(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{})
	c := newClient(t, reg, "app", nil)
	list, supported, err := c.GetReferrers(context.Background(), "app", digest.FromString("x"), "")
	if err != nil || supported || len(list) != 0 {
		t.Errorf("GetReferrers on a registry without the API: %v, supported %v, %v", list, supported, err)
	}
}

// pagedReferrers stands in for a registry serving the OCI 1.1 referrers
// API, which no registry available to these tests has (distribution
// 3.1.2 answers 404; zot and olareg cannot be fetched here). In front of
// the real registry, it answers GET /v2/app/referrers/DIGEST with two
// pages linked by a relative Link header, as the spec's pagination allows,
// and applies the artifactType filter (saying so with
// OCI-Filters-Applied) only when filter is set: a registry may ignore the
// filter, and the client must then apply it itself.
func pagedReferrers(filter bool) func(http.Handler) http.Handler {
	page := func(w http.ResponseWriter, r *http.Request, types ...string) {
		ix := ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex}
		want := r.URL.Query().Get("artifactType")
		for _, at := range types {
			if filter && want != "" && at != want {
				continue
			}
			ix.Manifests = append(ix.Manifests, ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromString(at), Size: 1, ArtifactType: at})
		}
		if filter && want != "" {
			w.Header().Set("OCI-Filters-Applied", "artifactType")
		}
		w.Header().Set("Content-Type", ocispec.MediaTypeImageIndex)
		_ = json.NewEncoder(w).Encode(ix)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasPrefix(r.URL.Path, "/v2/app/referrers/") {
				next.ServeHTTP(w, r)
				return
			}
			if r.URL.Query().Get("page") == "2" {
				page(w, r, "application/spdx+json", "application/vnd.in-toto+json")
				return
			}
			next := r.URL.Path + "?page=2"
			if at := r.URL.Query().Get("artifactType"); at != "" {
				next += "&artifactType=" + url.QueryEscape(at)
			}
			w.Header().Set("Link", "<"+next+`>; rel="next"`)
			page(w, r, "application/vnd.dev.sigstore.bundle.v0.3+json", "application/spdx+json")
		})
	}
}

// TestGetReferrersPagesAndFilter: every page is read; the artifactType
// filter holds whether the registry applies it or not.
func TestGetReferrersPagesAndFilter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	subject := digest.FromString("image")
	for _, filter := range []bool{true, false} {
		reg := testregistry.New(t, testregistry.Options{Wrap: pagedReferrers(filter)})
		c := newClient(t, reg, "app", nil)
		all, supported, err := c.GetReferrers(ctx, "app", subject, "")
		if err != nil || !supported || len(all) != 4 {
			t.Errorf("filter %v: all referrers: %+v, supported %v, %v", filter, all, supported, err)
		}
		sboms, _, err := c.GetReferrers(ctx, "app", subject, "application/spdx+json")
		if err != nil || len(sboms) != 2 || slices.ContainsFunc(sboms, func(d ocispec.Descriptor) bool { return d.ArtifactType != "application/spdx+json" }) {
			t.Errorf("filter applied by the registry %v: %+v, %v", filter, sboms, err)
		}
	}
}
