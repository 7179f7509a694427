package registry_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/registry"
	"github.com/ferrytool/ferry/registry/auth"
)

// refusedPort is a loopback address nothing listens on: a registry that
// is down (the port was free a moment ago; connecting is refused).
func refusedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestRefusedConnectionNotRetried: a registry host that refuses
// connections is tried once per scheme, not retried with backoff (the
// user's --retry-times decides on more), and the error names the URL of
// the last attempt, plain http here.
func TestRefusedConnectionNotRetried(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a safety net only
	defer cancel()
	n, err := reference.ParseNamed(refusedPort(t)+"/app:1", false)
	if err != nil {
		t.Fatal(err)
	}
	var logs logBuffer
	c, err := registry.New(ctx, n, &registry.Options{Insecure: true, Logger: logs.logger(), Auth: auth.Settings{NoCreds: true}},
		registry.WithRetry(5, 10*time.Millisecond, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _, _, err = c.GetManifest(ctx, "app", "1")
	if !errors.Is(err, errdefs.ErrUnavailable) || !strings.Contains(err.Error(), "http://"+n.String()[:strings.Index(n.String(), "/")]+"/v2/") {
		t.Errorf("GetManifest: got %v, want ErrUnavailable naming http://HOST/v2/", err)
	}
	attempts := 0
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, `msg="registry request"`) && strings.Contains(line, "connection refused") {
			attempts++
		}
	}
	if attempts != 2 {
		t.Errorf("%d attempts logged, want 2 (https, then http, no retries):\n%s", attempts, logs.String())
	}
}

// redirectTo stands for a hostile registry that redirects blob downloads
// to a URL of a scheme ferry must not follow (file://, gopher://).
func redirectTo(target string) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") {
				http.Redirect(w, r, target, http.StatusTemporaryRedirect)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
}

// TestRedirectToUnsupportedSchemeNotRetried: a redirect to file:// or
// gopher:// fails at once as not supported, with one request, not five.
func TestRedirectToUnsupportedSchemeNotRetried(t *testing.T) {
	t.Parallel()
	for _, target := range []string{"file:///etc/passwd", "gopher://127.0.0.1:70/x"} {
		reg := testregistry.New(t, testregistry.Options{Wrap: redirectTo(target)})
		img := testimage.New(testimage.Options{})
		reg.Push(t, "app", "1", img)
		reg.ResetRequests()
		c := newClient(t, reg, "app", nil)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a safety net only
		_, err := c.GetBlob(ctx, "app", img.Layers[0])
		cancel()
		if !errors.Is(err, errdefs.ErrNotSupported) || !errdefs.IsPermanent(err) {
			t.Errorf("redirect to %s: got %v, want a permanent ErrNotSupported", target, err)
		}
		if n := countRequests(reg.Requests(), http.MethodGet, "/blobs/"); n != 1 {
			t.Errorf("redirect to %s: %d blob requests, want 1", target, n)
		}
	}
}

// TestRetryAfterBeyondCapFails: a 429 whose Retry-After is far beyond what
// the client waits (Retry-After: 100000) fails at once, with the wait in
// the message, rather than keeping the copy alive.
func TestRetryAfterBeyondCapFails(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{Wrap: failOnce(func(r *http.Request) bool {
		return r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/manifests/")
	}, http.StatusTooManyRequests, "100000")})
	reg.Push(t, "app", "1", testimage.New(testimage.Options{}))
	reg.ResetRequests()
	c := newClient(t, reg, "app", nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a safety net only
	defer cancel()
	_, _, _, err := c.GetManifest(ctx, "app", "1")
	if !errors.Is(err, errdefs.ErrTooManyRequests) || !strings.Contains(err.Error(), "27h46m40s") {
		t.Errorf("GetManifest: got %v, want ErrTooManyRequests saying it asks to wait 27h46m40s", err)
	}
	if n := countRequests(reg.Requests(), http.MethodGet, "/manifests/"); n != 1 {
		t.Errorf("%d manifest requests, want 1", n)
	}
}
