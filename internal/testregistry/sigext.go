package testregistry

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
)

// SignatureExtension is a FAKE of the X-Registry-Supports-Signatures API
// extension (OpenShift's integrated registry), which the distribution
// registry Debian ships does not offer. Wrapped around the real registry
// (Options.Wrap = ext.Wrap) it adds the ping header and serves
// GET/PUT /extensions/v2/REPO/signatures/DIGEST, answering only for
// manifests the real registry holds and with the access the request's
// credentials give there (it asks the registry with a HEAD of the
// manifest carrying the same Authorization header).
type SignatureExtension struct {
	mu   sync.Mutex
	sigs map[string][]ExtensionSignature // "REPO@DIGEST" → signatures, in order
}

// ExtensionSignature is one signature as the extension stores it.
type ExtensionSignature struct {
	Version int    `json:"schemaVersion"`
	Name    string `json:"name"`
	Type    string `json:"type"`
	Content []byte `json:"content"`
}

var sigExtPath = regexp.MustCompile(`^/extensions/v2/(.+)/signatures/(sha256:[0-9a-f]{64})$`)
var sigName = regexp.MustCompile(`^sha256:[0-9a-f]{64}@[0-9a-f]{32}$`)

// Wrap serves the extension in front of h.
func (e *SignatureExtension) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/v2/" || req.URL.Path == "/v2" {
			w.Header().Set("X-Registry-Supports-Signatures", "1")
			h.ServeHTTP(w, req)
			return
		}
		m := sigExtPath.FindStringSubmatch(req.URL.Path)
		if m == nil {
			h.ServeHTTP(w, req)
			return
		}
		repo, dg := m[1], m[2]
		// Access and existence as the registry sees them.
		head := httptest.NewRequest(http.MethodHead, "/v2/"+repo+"/manifests/"+dg, nil)
		head.Header.Set("Authorization", req.Header.Get("Authorization"))
		head.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v1+prettyjws")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, head)
		if rec.Code != http.StatusOK {
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			return
		}
		key := repo + "@" + dg
		switch req.Method {
		case http.MethodGet:
			e.mu.Lock()
			list := append([]ExtensionSignature{}, e.sigs[key]...)
			e.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{"signatures": list})
		case http.MethodPut:
			var s ExtensionSignature
			if err := json.NewDecoder(req.Body).Decode(&s); err != nil || s.Version != 2 || s.Type != "atomic" ||
				!sigName.MatchString(s.Name) || !strings.HasPrefix(s.Name, dg+"@") || len(s.Content) == 0 {
				http.Error(w, "bad signature object", http.StatusBadRequest)
				return
			}
			e.mu.Lock()
			defer e.mu.Unlock()
			for _, old := range e.sigs[key] {
				if old.Name == s.Name {
					http.Error(w, "signature name taken", http.StatusConflict)
					return
				}
			}
			if e.sigs == nil {
				e.sigs = map[string][]ExtensionSignature{}
			}
			e.sigs[key] = append(e.sigs[key], s)
			w.WriteHeader(http.StatusCreated)
		default:
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		}
	})
}

// Signatures returns the contents stored for repo's manifest dg, in order.
func (e *SignatureExtension) Signatures(repo, dg string) [][]byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out [][]byte
	for _, s := range e.sigs[repo+"@"+dg] {
		out = append(out, s.Content)
	}
	return out
}

// Add stores a signature as another client would have.
func (e *SignatureExtension) Add(repo, dg string, s ExtensionSignature) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.sigs == nil {
		e.sigs = map[string][]ExtensionSignature{}
	}
	e.sigs[repo+"@"+dg] = append(e.sigs[repo+"@"+dg], s)
}
