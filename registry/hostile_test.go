package registry_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/registry"
	"github.com/ferrytool/ferry/registry/auth"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

var carol = &testregistry.Creds{Username: "carol", Password: "s3cret-pw"}

// locationRewriter stands for a hostile (or misconfigured) registry whose
// upload Location points at another host: it rewrites the Location of
// every upload answer to other.
func locationRewriter(other string) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(&rewriteLocation{ResponseWriter: w, to: other}, r)
		})
	}
}

type rewriteLocation struct {
	http.ResponseWriter
	to string
}

func (w *rewriteLocation) WriteHeader(code int) {
	if loc := w.Header().Get("Location"); strings.Contains(loc, "/blobs/uploads/") {
		i := strings.Index(loc, "/v2/")
		w.Header().Set("Location", w.to+loc[i:])
	}
	w.ResponseWriter.WriteHeader(code)
}

// authRecorder is the other host: it records the Authorization headers it
// receives and asks for credentials, as a host fishing for them would.
type authRecorder struct {
	mu    sync.Mutex
	seen  []string
	calls int
}

func (a *authRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.calls++
	if v := r.Header.Get("Authorization"); v != "" {
		a.seen = append(a.seen, v)
	}
	a.mu.Unlock()
	w.Header().Set("WWW-Authenticate", `Basic realm="other"`)
	w.WriteHeader(http.StatusUnauthorized)
}

// TestNoCredentialsToUploadLocationOnAnotherHost: a registry whose POST
// .../blobs/uploads/ answers 202 with a Location on another host never
// gets that host the user's Basic credentials or bearer token; the push
// fails with a sentence saying why.
func TestNoCredentialsToUploadLocationOnAnotherHost(t *testing.T) {
	t.Parallel()
	for _, token := range []bool{false, true} {
		t.Run(fmt.Sprintf("token=%v", token), func(t *testing.T) {
			t.Parallel()
			other := &authRecorder{}
			otherSrv := httptest.NewServer(other)
			t.Cleanup(otherSrv.Close)
			reg := testregistry.New(t, testregistry.Options{Basic: carol, Token: token, Wrap: locationRewriter(otherSrv.URL)})
			c := newClient(t, reg, "app", &registry.Options{Auth: auth.Settings{Username: carol.Username, Password: carol.Password}})
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			blob := []byte("a layer for another host")
			err := c.PutBlob(ctx, "app", ocispec.Descriptor{Digest: digest.FromBytes(blob), Size: int64(len(blob))}, bytes.NewReader(blob))
			if !errors.Is(err, errdefs.ErrUnauthorized) || !strings.Contains(err.Error(), "another host") {
				t.Errorf("PutBlob: got %v, want ErrUnauthorized naming another host", err)
			}
			other.mu.Lock()
			defer other.mu.Unlock()
			if other.calls == 0 {
				t.Fatal("the upload never reached the other host: the test proves nothing")
			}
			if len(other.seen) > 0 {
				t.Errorf("the other host received Authorization %q", other.seen)
			}
		})
	}
}

// echoAuthorization stands for a registry (or a proxy in front of it)
// whose error body echoes the request, Authorization header included. It
// keeps the credentials it echoed.
type echoAuthorization struct {
	mu   sync.Mutex
	sent []string
}

func (e *echoAuthorization) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := r.Header.Get("Authorization")
		if v == "" || !strings.Contains(r.URL.Path, "/manifests/") {
			h.ServeHTTP(w, r)
			return
		}
		_, cred, _ := strings.Cut(v, " ")
		e.mu.Lock()
		e.sent = append(e.sent, cred)
		e.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"errors":[{"code":"UNKNOWN","message":"bad request with Authorization: %s","detail":{"message":"credential was %s"}}]}`, v, cred)
	})
}

// TestErrorBodyEchoingCredentialsIsRedacted: the credentials a registry's
// error body echoes (base64 of user:password, a bearer token) appear in
// no error and no log line.
func TestErrorBodyEchoingCredentialsIsRedacted(t *testing.T) {
	t.Parallel()
	for _, token := range []bool{false, true} {
		t.Run(fmt.Sprintf("token=%v", token), func(t *testing.T) {
			t.Parallel()
			echo := &echoAuthorization{}
			reg := testregistry.New(t, testregistry.Options{Basic: carol, Token: token, Wrap: echo.wrap})
			var logs logBuffer
			c := newClient(t, reg, "app", &registry.Options{
				Auth: auth.Settings{Username: carol.Username, Password: carol.Password}, Logger: logs.logger()})
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, _, _, err := c.GetManifest(ctx, "app", "1")
			if err == nil || !strings.Contains(err.Error(), "[redacted]") {
				t.Fatalf("GetManifest: got %v, want the echoing error with its credentials redacted", err)
			}
			echo.mu.Lock()
			secrets := append([]string{carol.Password}, echo.sent...)
			echo.mu.Unlock()
			if len(secrets) < 2 {
				t.Fatal("no credential was echoed: the test proves nothing")
			}
			for _, secret := range secrets {
				if strings.Contains(strings.ToLower(err.Error()), strings.ToLower(secret)) || strings.Contains(logs.String(), secret) {
					t.Errorf("secret %q leaked: error %q", secret, err)
				}
			}
		})
	}
}
