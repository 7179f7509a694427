package testregistry

import (
	"net/http"
	"net/http/httptest"
	"strings"
)

// redirecting answers a blob GET the client may make with a 307 to the
// redirect target on 127.0.0.2, as registries backed by object storage
// or a CDN do. Access is checked first with a HEAD through the real
// handler, so auth failures and unknown blobs answer as usual.
func (r *Registry) redirecting(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		name, dgst, ok := splitBlobPath(req.URL.Path)
		if !ok || req.Method != http.MethodGet {
			h.ServeHTTP(w, req)
			return
		}
		head := req.Clone(req.Context())
		head.Method = http.MethodHead
		head.Body = http.NoBody
		head.Header.Del("Range")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, head)
		if rec.Code != http.StatusOK {
			h.ServeHTTP(w, req)
			return
		}
		w.Header().Set("Location", r.redirect.URL+"/cdn/"+name+"/"+dgst)
		w.WriteHeader(http.StatusTemporaryRedirect)
	})
}

// serveRedirected is the redirect target: it serves the blob through the
// registry handler with the helper's own credentials, never the caller's.
func (r *Registry) serveRedirected(w http.ResponseWriter, req *http.Request) {
	rest, ok := strings.CutPrefix(req.URL.Path, "/cdn/")
	i := strings.LastIndex(rest, "/")
	if !ok || i <= 0 || req.Method != http.MethodGet && req.Method != http.MethodHead {
		http.NotFound(w, req)
		return
	}
	name, dgst := rest[:i], rest[i+1:]
	inner := req.Clone(req.Context())
	inner.URL.Path, inner.URL.RawPath, inner.RequestURI = "/v2/"+name+"/blobs/"+dgst, "", ""
	inner.Header.Del("Authorization")
	if err := r.admin(inner, name); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	r.app.ServeHTTP(w, inner)
}
