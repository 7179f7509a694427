package registry

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/registry/auth"
)

// Error is a registry's refusal: the HTTP status, the first error code of
// the body (distribution spec, "Error Codes") and a sentence for people.
// It unwraps to the errdefs sentinel of its kind.
type Error struct {
	Method string
	// Path is the URL path of the request (no query, no host).
	Path    string
	Status  int
	Code    string
	Message string
	// Wait is how long the registry asked us to wait (Retry-After on a
	// 429 or 503), 0 when it did not say.
	Wait time.Duration
	kind error
}

func (e *Error) Error() string { return e.Message }

// RetryAfter is how long the registry asked the client to wait; it lets a
// caller with its own retries (package fetch) honour Retry-After.
func (e *Error) RetryAfter() time.Duration { return e.Wait }

// Unwrap returns the errdefs sentinel (nil for an unclassified failure).
func (e *Error) Unwrap() error { return e.kind }

// ErrManifestType is the kind of a registry's refusal of a manifest for
// its media type (see manifestTypeRefused). It wraps
// errdefs.ErrNotSupported.
var ErrManifestType = fmt.Errorf("%w: manifest media type refused", errdefs.ErrNotSupported)

// errorBody is the distribution spec's error response.
type errorBody struct {
	Errors []struct {
		Code    string          `json:"code"`
		Message string          `json:"message"`
		Detail  json.RawMessage `json:"detail"`
	} `json:"errors"`
}

// errorFrom reads and closes resp's body and turns the answer into an
// *Error. credsSent says whether the request carried credentials, which
// decides between "authentication required" and "invalid username or
// password".
func errorFrom(resp *http.Response, credsSent bool) error {
	defer resp.Body.Close()
	var body errorBody
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = json.Unmarshal(b, &body)
	e := &Error{Method: resp.Request.Method, Path: resp.Request.URL.Path, Status: resp.StatusCode}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		e.Wait = retryAfter(resp.Header.Get("Retry-After"), 0)
	}
	var msg, detail string
	if len(body.Errors) > 0 {
		e.Code = body.Errors[0].Code
		// A server may echo the request, Authorization header included.
		msg = redactSecrets(strings.ToLower(strings.TrimSpace(body.Errors[0].Message)), resp.Request)
		detail = redactSecrets(detailText(body.Errors[0].Detail), resp.Request)
	}
	switch {
	case manifestTypeRefused(resp, e.Code, msg+" "+detail):
		e.kind = ErrManifestType
		e.Message = "the registry does not accept manifests of type " + resp.Request.Header.Get("Content-Type")
		if why := strings.TrimSpace(strings.Trim(msg+": "+detail, ": ")); why != "" {
			e.Message += " (" + why + ")"
		}
	case resp.StatusCode == http.StatusUnauthorized || e.Code == "UNAUTHORIZED":
		e.kind = errdefs.ErrUnauthorized
		bearer, isBearer := auth.Find(auth.ParseChallenges(resp.Header.Values("WWW-Authenticate")), "bearer")
		switch {
		case isBearer && bearer.Params["error"] == "insufficient_scope":
			// The token service accepted who we are, the registry not
			// what we asked: no such repository, or no permission.
			e.Message = "requested access to the resource is denied"
		case credsSent && !isBearer:
			e.Message = "invalid username or password: authentication required" // skopeo's phrase, which scripts match
		default:
			e.Message = "authentication required"
		}
	case resp.StatusCode == http.StatusForbidden || e.Code == "DENIED":
		e.kind = errdefs.ErrDenied
		e.Message = "access denied"
		if msg != "" && !strings.Contains(msg, "denied") {
			e.Message += ": " + msg
		} else if msg != "" {
			e.Message = msg
		}
	case resp.StatusCode == http.StatusTooManyRequests || e.Code == "TOOMANYREQUESTS":
		e.kind = errdefs.ErrTooManyRequests
		e.Message = "too many requests to the registry; try again later"
		if e.Wait > 0 {
			e.Message += " (it asks to wait " + e.Wait.String() + ")"
		}
	case e.Code == "UNSUPPORTED" || resp.StatusCode == http.StatusMethodNotAllowed:
		e.kind = errdefs.ErrNotSupported
		e.Message = "the registry does not support this operation"
		if msg != "" && msg != "the operation is unsupported." {
			e.Message += ": " + msg
		}
	case e.Code == "MANIFEST_BLOB_UNKNOWN":
		e.Message = "the registry refused the manifest: it refers to a blob the repository does not hold"
	case e.Code == "MANIFEST_INVALID" || e.Code == "MANIFEST_UNVERIFIED":
		e.kind = errdefs.ErrInvalidManifest
		e.Message = "the registry refused the manifest as invalid"
		if msg != "" {
			e.Message += ": " + msg
		}
	case e.Code == "DIGEST_INVALID":
		e.kind = errdefs.ErrDigestMismatch
		e.Message = "the registry found that the content does not match its digest"
	case e.Code == "SIZE_INVALID":
		e.kind = errdefs.ErrSizeMismatch
		e.Message = "the registry found that the content does not match its size"
	case resp.StatusCode == http.StatusNotFound || e.Code == "MANIFEST_UNKNOWN" || e.Code == "NAME_UNKNOWN" ||
		e.Code == "BLOB_UNKNOWN" || e.Code == "BLOB_UPLOAD_UNKNOWN":
		e.kind = errdefs.ErrNotFound
		e.Message = msg
		if e.Message == "" {
			e.Message = "not found"
		}
	case resp.StatusCode >= 500:
		e.kind = errdefs.ErrUnavailable
		e.Message = fmt.Sprintf("the registry failed (%s)", resp.Status)
	default:
		e.Message = fmt.Sprintf("the registry answered %s", resp.Status)
		if msg != "" {
			e.Message += ": " + msg
		}
	}
	return e
}

// manifestTypeRefused recognizes a registry refusing a manifest PUT for
// its media type: 415 Unsupported Media Type, or 400 MANIFEST_INVALID (or
// UNSUPPORTED) whose message or detail is about the type or schema, as
// registries without OCI support (or without Docker schema 2) answer.
func manifestTypeRefused(resp *http.Response, code, text string) bool {
	req := resp.Request
	if req.Method != http.MethodPut || !strings.Contains(req.URL.Path, "/manifests/") {
		return false
	}
	if resp.StatusCode == http.StatusUnsupportedMediaType {
		return true
	}
	if resp.StatusCode != http.StatusBadRequest || (code != "MANIFEST_INVALID" && code != "UNSUPPORTED" && code != "") {
		return false
	}
	text = strings.ToLower(text)
	for _, s := range []string{"media type", "mediatype", "content type", "content-type", "manifest type",
		"schema version", "schemaversion", "unsupported", "not supported", "unknown manifest"} {
		if strings.Contains(text, s) {
			return true
		}
	}
	return false
}

// detailText is an error's detail as text: a JSON string as is, an object
// by its "message" or as JSON.
func detailText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	var m struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &m) == nil && m.Message != "" {
		return strings.TrimSpace(m.Message)
	}
	if len(raw) > 200 {
		raw = raw[:200]
	}
	return string(raw)
}
