package fetch

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferrytool/ferry/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// origin is a registry-like server that checks credentials and redirects
// blob requests to a CDN with a signed URL.
func origin(t *testing.T, cdn *blobServer, hits *atomic.Int64) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer secret-token" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		hits.Add(1)
		dg := strings.TrimPrefix(r.URL.Path, "/v2/app/blobs/")
		http.Redirect(w, r, cdn.URL+"/blobs/"+dg+"?sig=signature-secret", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func originSource(o *httptest.Server) *HTTPSource {
	return &HTTPSource{
		URL:       func(d ocispec.Descriptor) string { return o.URL + "/v2/app/blobs/" + d.Digest.String() },
		Authorize: func(req *http.Request) error { req.Header.Set("Authorization", "Bearer secret-token"); return nil },
	}
}

func TestHTTPSourceRedirect(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		cdnFail   []int
		minOrigin int64
		maxOrigin int64
	}{
		{"followed once per blob", nil, 1, 1},
		// Connections that find the signature expired at about the same
		// time may each ask the origin.
		{"an expired signature asks the origin again", []int{0, 403}, 2, 1 + 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cdn := newBlobServer(t, faults{failNext: tc.cdnFail})
			blob, d := testBlob(40, 4<<20)
			cdn.add(blob, d)
			var hits atomic.Int64
			o := origin(t, cdn, &hits)
			fetchOK(t, newFetcher(t, t.TempDir()), originSource(o), d, blob)
			if got := hits.Load(); got < tc.minOrigin || got > tc.maxOrigin {
				t.Errorf("the origin was asked %d times, want %d to %d", got, tc.minOrigin, tc.maxOrigin)
			}
			if got := len(cdn.requests()); got < 3 {
				t.Errorf("the CDN got %d requests, want the ranges", got)
			}
			if got := cdn.authorized.Load(); got != 0 {
				t.Errorf("%d requests to the CDN carried the registry's credentials", got)
			}
		})
	}
}

func TestHTTPSourceErrorsHideSecrets(t *testing.T) {
	t.Parallel()
	cdn := newBlobServer(t, faults{failNext: []int{500, 500, 500}})
	blob, d := testBlob(41, 1000)
	cdn.add(blob, d)
	var hits atomic.Int64
	o := origin(t, cdn, &hits)
	_, err := newFetcher(t, t.TempDir(), WithRetries(2, time.Millisecond)).Fetch(context.Background(), originSource(o), d)
	if !errors.Is(err, errdefs.ErrUnavailable) {
		t.Fatalf("Fetch: %v, want ErrUnavailable", err)
	}
	for _, secret := range []string{"signature-secret", "secret-token"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error %q shows %q", err, secret)
		}
	}
}

func TestHTTPSourceAnswers(t *testing.T) {
	t.Parallel()
	blob, d := testBlob(42, 1000)
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		off, n  int64
		wantErr error
	}{
		{"206 of the right blob", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Range", "bytes 10-19/1000")
			w.WriteHeader(http.StatusPartialContent)
			w.Write(blob[10:20])
		}, 10, 10, nil},
		{"206 with an unknown total", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Range", "bytes 10-19/*")
			w.WriteHeader(http.StatusPartialContent)
			w.Write(blob[10:20])
		}, 10, 10, nil},
		{"206 from the wrong offset", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Range", "bytes 0-9/1000")
			w.WriteHeader(http.StatusPartialContent)
			w.Write(blob[:10])
		}, 10, 10, errdefs.ErrUnavailable},
		{"206 of a blob of another size", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Range", "bytes 10-19/999")
			w.WriteHeader(http.StatusPartialContent)
			w.Write(blob[10:20])
		}, 10, 10, errdefs.ErrSizeMismatch},
		{"200 to a range", func(w http.ResponseWriter, r *http.Request) {
			w.Write(blob)
		}, 10, 10, ErrRangeIgnored},
		{"200 of another size", func(w http.ResponseWriter, r *http.Request) {
			w.Write(blob[:999])
		}, 0, -1, errdefs.ErrSizeMismatch},
		{"416", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
		}, 10, 10, errdefs.ErrSizeMismatch},
		{"429", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusTooManyRequests)
		}, 0, -1, errdefs.ErrTooManyRequests},
		{"400", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
		}, 0, -1, errdefs.ErrNotSupported},
		{"redirect without a Location", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusFound)
		}, 0, -1, errdefs.ErrUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			src := &HTTPSource{URL: func(ocispec.Descriptor) string { return srv.URL }}
			body, err := src.ReadRange(context.Background(), d, tc.off, tc.n)
			if body != nil {
				body.Close()
			}
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("ReadRange: %v, want %v", err, tc.wantErr)
			}
			if errors.Is(err, ErrRangeIgnored) && body == nil {
				t.Errorf("ErrRangeIgnored without the body")
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{"-1", 0},
		{"soon", 0},
		{"Mon, 02 Jan 2006 15:04:05 GMT", 0}, // in the past
	} {
		if got := retryAfter(tc.in); got != tc.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
	err := &HTTPError{Status: 429, Wait: 7 * time.Second}
	if got := backoff(err, 1, time.Millisecond); got != 7*time.Second {
		t.Errorf("backoff honours Retry-After: got %v, want 7s", got)
	}
	if got := backoff(errors.New("reset"), 3, 100*time.Millisecond); got < 200*time.Millisecond || got > 400*time.Millisecond {
		t.Errorf("backoff(attempt 3, base 100ms) = %v, want 200ms..400ms", got)
	}
}

func TestRangeHeader(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		off, n int64
		want   string
	}{
		{0, -1, ""},
		{5, -1, "bytes=5-"},
		{0, 10, "bytes=0-9"},
		{100, 1, "bytes=100-100"},
	} {
		if got := rangeHeader(tc.off, tc.n); got != tc.want {
			t.Errorf("rangeHeader(%d, %d) = %q, want %q", tc.off, tc.n, got, tc.want)
		}
	}
}
