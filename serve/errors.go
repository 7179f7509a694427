package serve

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/ferrytool/ferry/errdefs"
)

// Error codes of the distribution spec ("Error Codes").
const (
	codeBlobUnknown         = "BLOB_UNKNOWN"
	codeBlobUploadInvalid   = "BLOB_UPLOAD_INVALID"
	codeBlobUploadUnknown   = "BLOB_UPLOAD_UNKNOWN"
	codeDigestInvalid       = "DIGEST_INVALID"
	codeManifestBlobUnknown = "MANIFEST_BLOB_UNKNOWN"
	codeManifestInvalid     = "MANIFEST_INVALID"
	codeManifestUnknown     = "MANIFEST_UNKNOWN"
	codeNameInvalid         = "NAME_INVALID"
	codeNameUnknown         = "NAME_UNKNOWN"
	codeSizeInvalid         = "SIZE_INVALID"
	codeUnauthorized        = "UNAUTHORIZED"
	codeUnsupported         = "UNSUPPORTED"
	codeTooManyRequests     = "TOOMANYREQUESTS"
)

// apiError is a failure answered with a status and the spec's error body.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func newError(status int, code, message string) *apiError {
	return &apiError{status: status, code: code, message: message}
}

// writeError answers err: an *apiError as it says; an error of ferry's
// vocabulary by its kind; anything else as a 500 whose detail stays in
// the log (it may name server paths).
func (s *Registry) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
	case errors.Is(err, errdefs.ErrNotFound):
		ae = newError(http.StatusNotFound, codeBlobUnknown, "blob unknown to registry")
	case errors.Is(err, errdefs.ErrDigestMismatch), errors.Is(err, errdefs.ErrSizeMismatch):
		ae = newError(http.StatusBadRequest, codeDigestInvalid, "provided digest did not match uploaded content")
	default:
		if r.Context().Err() == nil {
			s.log.Error("serve: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		ae = &apiError{status: http.StatusInternalServerError, code: "UNKNOWN", message: "internal error; see the server's log"}
	}
	writeErrorBody(w, ae)
}

// writeErrorBody writes the spec's JSON error document.
func writeErrorBody(w http.ResponseWriter, ae *apiError) {
	type item struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	b, _ := json.Marshal(struct {
		Errors []item `json:"errors"`
	}{[]item{{ae.code, ae.message}}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(ae.status)
	w.Write(b)
}

// errReadOnly answers a write to a read-only registry.
var errReadOnly = newError(http.StatusMethodNotAllowed, codeUnsupported, "the registry is read-only")
