package registry_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/registry"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// newClient makes a client for HOST/repo of reg. Plain-HTTP registries
// need Insecure, as with skopeo's --tls-verify=false.
func newClient(t *testing.T, reg *testregistry.Registry, repo string, o *registry.Options, opts ...registry.Option) *registry.Client {
	t.Helper()
	n, err := reference.ParseNamed(reg.Host()+"/"+repo, false)
	if err != nil {
		t.Fatal(err)
	}
	if o == nil {
		o = &registry.Options{}
	}
	if o.CertDir == "" && !o.Insecure && reg.CertDir() == "" {
		o.Insecure = true
	}
	o.Auth.NoCreds = o.Auth.NoCreds || (o.Auth.Username == "" && o.Auth.AuthFile == "" && o.Auth.BearerToken == "")
	opts = append([]registry.Option{registry.WithRetry(4, 10*time.Millisecond, 5*time.Second)}, opts...)
	c, err := registry.New(context.Background(), n, o, opts...)
	if err != nil {
		t.Fatalf("registry.New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// pushImage uploads img's blobs and manifest through c and tags it.
func pushImage(t *testing.T, c *registry.Client, repo, tag string, img *testimage.Image) {
	t.Helper()
	ctx := context.Background()
	for _, d := range append([]ocispec.Descriptor{img.Config}, img.Layers...) {
		if err := c.PutBlob(ctx, repo, d, bytes.NewReader(img.Blobs[d.Digest])); err != nil {
			t.Fatalf("PutBlob %s: %v", d.Digest, err)
		}
	}
	if _, err := c.PutManifest(ctx, repo, tag, img.Manifest, img.MediaType); err != nil {
		t.Fatalf("PutManifest: %v", err)
	}
}

// logBuffer collects debug logs, to check no secret reaches them.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// countRequests counts recorded requests matching method and a path suffix.
func countRequests(reqs []testregistry.Request, method, pathPart string) int {
	n := 0
	for _, r := range reqs {
		if r.Method == method && bytes.Contains([]byte(r.Path), []byte(pathPart)) {
			n++
		}
	}
	return n
}

// failOnce is a fault injection: the first request matching match is
// answered with status (and Retry-After when set) instead of reaching the
// registry, a fault a healthy in-process registry cannot produce.
func failOnce(match func(*http.Request) bool, status int, retryAfter string) func(http.Handler) http.Handler {
	var once sync.Once
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fired := false
			if match(r) {
				once.Do(func() { fired = true })
			}
			if fired {
				if retryAfter != "" {
					w.Header().Set("Retry-After", retryAfter)
				}
				w.WriteHeader(status)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
}
