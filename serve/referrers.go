package serve

import (
	"net/http"

	"github.com/ferrytool/ferry/manifest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// serveReferrers answers /v2/<name>/referrers/<digest> (distribution
// spec "Listing Referrers"): an OCI index of the repository's manifests
// whose subject is the digest, filtered by ?artifactType= (which the
// OCI-Filters-Applied header then says). A subject with no referrers, or
// none at all, is an empty index, not an error.
func (s *Registry) serveReferrers(w http.ResponseWriter, r *http.Request, repo, ref string) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return methodNotAllowed()
	}
	d, isDigest, err := parseDigest(ref)
	if !isDigest || err != nil {
		return newError(http.StatusBadRequest, codeDigestInvalid, "invalid digest")
	}
	v, err := s.currentView(r.Context())
	if err != nil {
		return err
	}
	refs, err := s.referrersOf(r.Context(), v, repo, d)
	if err != nil {
		return err
	}
	if at := r.URL.Query().Get("artifactType"); at != "" {
		kept := []ocispec.Descriptor{}
		for _, x := range refs {
			if x.ArtifactType == at {
				kept = append(kept, x)
			}
		}
		refs = kept
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	ix := ocispec.Index{MediaType: manifest.MediaTypeOCIIndex, Manifests: refs}
	ix.SchemaVersion = 2
	return writeJSON(w, r, manifest.MediaTypeOCIIndex, ix)
}
