package serve

import (
	"net/http"
	"time"
)

var errBlobUnknown = newError(http.StatusNotFound, codeBlobUnknown, "blob unknown to registry")

// serveBlob answers /v2/<name>/blobs/<digest>: GET and HEAD (with
// ranges, RFC 9110 through http.ServeContent) and DELETE.
func (s *Registry) serveBlob(w http.ResponseWriter, r *http.Request, repo, ref string) error {
	d, isDigest, err := parseDigest(ref)
	if !isDigest || err != nil {
		return newError(http.StatusBadRequest, codeDigestInvalid, "invalid digest")
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodDelete:
		lc, err := s.writable()
		if err != nil {
			return err
		}
		removed, err := lc.removeBlob(r.Context(), d)
		if err != nil {
			return err
		}
		if !removed {
			if ok, err := lc.lay.Blobs.Has(r.Context(), descOf(d)); err != nil || !ok {
				return errBlobUnknown
			}
			return newError(http.StatusMethodNotAllowed, codeUnsupported, "the blob is used by an image of the layout (or by a copy in progress); delete the image first")
		}
		s.log.Debug("serve: blob deleted", "repo", repo, "digest", d)
		w.WriteHeader(http.StatusAccepted)
		return nil
	default:
		return methodNotAllowed()
	}
	rc, size, err := s.content.open(r.Context(), d)
	if err != nil {
		return notFound(err, codeBlobUnknown, "blob unknown to registry")
	}
	defer rc.Close()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Docker-Content-Digest", d.String())
	h.Set("Etag", `"`+d.String()+`"`)
	h.Set("Cache-Control", "max-age=31536000")
	if r.Method == http.MethodHead && r.Header.Get("Range") == "" {
		h.Set("Content-Length", itoa(size))
		return nil
	}
	// ServeContent answers ranges (206, 416) and HEAD; a blob never
	// changes, so it is given no modification time.
	http.ServeContent(w, r, "", time.Time{}, rc)
	return nil
}
