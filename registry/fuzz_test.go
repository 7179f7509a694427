package registry

import (
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzErrorFrom feeds the answers a hostile or broken registry may send
// (any status, any body, any Retry-After and challenge) to the one place
// that turns them into errors: no panic, an *Error with a message, a wait
// that is never negative, and never a credential the request carried,
// however the body echoes it.
func FuzzErrorFrom(f *testing.F) {
	basic := base64.StdEncoding.EncodeToString([]byte("alice:s3cret-pass"))
	f.Add(401, `{"errors":[{"code":"UNAUTHORIZED","message":"Authorization: Basic `+basic+`"}]}`, "", `Bearer realm="x",error="insufficient_scope"`)
	f.Add(400, `{"errors":[{"code":"MANIFEST_INVALID","message":"bad","detail":{"Authorization":"Bearer tok-123456"}}]}`, "", "")
	f.Add(429, `{"errors":[{"code":"TOOMANYREQUESTS"}]}`, "120", "")
	f.Add(503, `not json s3cret-pass`, "Wed, 21 Oct 2015 07:28:00 GMT", "")
	f.Add(404, `{"errors":[]}`, "-1", "")
	f.Fuzz(func(t *testing.T, status int, body, retry, challenge string) {
		if status < 100 || status > 999 {
			return
		}
		req := &http.Request{Method: http.MethodPut, URL: &url.URL{Scheme: "https", Host: "r.example", Path: "/v2/app/manifests/1"},
			Header: http.Header{"Authorization": {"Basic " + basic}, "Content-Type": {"application/vnd.oci.image.manifest.v1+json"}}}
		resp := &http.Response{StatusCode: status, Status: strconv.Itoa(status) + " X", Request: req,
			Header: http.Header{"Retry-After": {retry}, "Www-Authenticate": {challenge}},
			Body:   io.NopCloser(strings.NewReader(body))}
		err := errorFrom(resp, true)
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("errorFrom gave %T %v, want *Error", err, err)
		}
		if e.Message == "" || e.Wait < 0 {
			t.Fatalf("status %d, body %q: message %q, wait %v", status, body, e.Message, e.Wait)
		}
		for _, secret := range []string{basic, "s3cret-pass", "tok-123456"} {
			if strings.Contains(e.Error(), secret) {
				t.Fatalf("status %d, body %q: the error repeats a credential: %q", status, body, e.Error())
			}
		}
	})
}

// FuzzHeaders: Retry-After never yields a negative wait and reads whole
// seconds exactly; an upload's Range either is refused or says how many
// bytes the registry holds (at least one), never a negative count.
func FuzzHeaders(f *testing.F) {
	for _, s := range []string{"0", "120", " 7 ", "-3", "Wed, 21 Oct 2015 07:28:00 GMT", "0-1023", "bytes=0-99", "0-9223372036854775807", "0--1", "5-9/10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d := retryAfter(v, time.Second)
		if d < 0 {
			t.Fatalf("retryAfter(%q) = %v", v, d)
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && n >= 0 && n < 1<<30 && d != time.Duration(n)*time.Second {
			t.Fatalf("retryAfter(%q) = %v, want %ds", v, d, n)
		}
		if held, ok := parseRange(v); ok && held < 1 {
			t.Fatalf("parseRange(%q) = %d bytes held", v, held)
		}
	})
}
