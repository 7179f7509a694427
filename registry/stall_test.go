package registry_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/registry"
	"github.com/ferrytool/ferry/registry/auth"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// silentListener accepts TCP connections and never answers: a wedged
// server, or a firewall that lets the handshake through and drops the
// rest. It counts the connections.
func silentListener(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String(), &n
}

// TestSilentRegistryFails: a registry host that accepts connections and
// never answers fails in bounded time (each attempt cut by the stall
// window, here short) with ErrUnavailable naming the URL of the last
// attempt.
func TestSilentRegistryFails(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a safety net only
	defer cancel()
	addr, conns := silentListener(t)
	n, err := reference.ParseNamed(addr+"/app:1", false)
	if err != nil {
		t.Fatal(err)
	}
	c, err := registry.New(ctx, n, &registry.Options{Insecure: true, Auth: auth.Settings{NoCreds: true}},
		registry.WithRetry(5, time.Millisecond, time.Second), registry.WithStallTimeout(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _, _, err = c.GetManifest(ctx, "app", "1")
	if !errors.Is(err, errdefs.ErrUnavailable) || !strings.Contains(err.Error(), "http://"+addr+"/v2/") || ctx.Err() != nil {
		t.Errorf("GetManifest: got %v, want ErrUnavailable naming http://%s/v2/", err, addr)
	}
	// https once (a fallback follows), http twice: a host that answers
	// nothing is not asked five times.
	if got := conns.Load(); got != 3 {
		t.Errorf("%d connections, want 3 (https once, http twice)", got)
	}
}

// halfThenStall stands for a registry (or proxy) that sends the headers
// and half the body of the first manifest answer and then stalls.
func halfThenStall(h http.Handler) http.Handler {
	var once sync.Once
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		first := false
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/manifests/") {
			once.Do(func() { first = true })
		}
		if !first {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		b := rec.Body.Bytes()
		w.Write(b[:len(b)/2])
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
}

// TestManifestBodyStallAskedAgain: a manifest whose body stalls halfway is
// asked for again, and arrives.
func TestManifestBodyStallAskedAgain(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a safety net only
	defer cancel()
	reg := testregistry.New(t, testregistry.Options{Wrap: halfThenStall})
	img := testimage.New(testimage.Options{})
	reg.Push(t, "app", "1", img)
	reg.ResetRequests()
	// The window also applies to the healthy requests, which on a loaded
	// machine can wait longer than 50 ms for the in-process registry to be
	// scheduled: such a request is rightly asked again, so more than two
	// manifest requests is no fault. The manifest arriving at all proves
	// the stalled request was given up and asked again.
	c := newClient(t, reg, "app", nil, registry.WithStallTimeout(250*time.Millisecond))
	b, _, _, err := c.GetManifest(ctx, "app", "1")
	if err != nil || !bytes.Equal(b, img.Manifest) {
		t.Fatalf("GetManifest: %v", err)
	}
	if n := countRequests(reg.Requests(), http.MethodGet, "/manifests/"); n < 2 {
		t.Errorf("%d manifest requests, want the stalled one and another: the test proves nothing", n)
	}
}

// silentTokenService stands for a registry whose token service accepts
// connections and never answers.
func silentTokenService(realm string) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") == "" {
				w.Header().Set("WWW-Authenticate", `Bearer realm="`+realm+`",service="test"`)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
}

// TestSilentTokenServiceFails: a token request that is never answered
// fails in bounded time with ErrUnavailable.
func TestSilentTokenServiceFails(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a safety net only
	defer cancel()
	addr, conns := silentListener(t)
	reg := testregistry.New(t, testregistry.Options{Wrap: silentTokenService("http://" + addr + "/token")})
	// The window is long enough for the registry's own answers (the ping,
	// the 401) to arrive on a loaded machine: a host that answers nothing
	// twice is given up before the token service is asked.
	c := newClient(t, reg, "app", nil, registry.WithRetry(2, time.Millisecond, time.Second), registry.WithStallTimeout(500*time.Millisecond))
	_, _, _, err := c.GetManifest(ctx, "app", "1")
	if !errors.Is(err, errdefs.ErrUnavailable) || ctx.Err() != nil {
		t.Errorf("GetManifest: got %v, want ErrUnavailable", err)
	}
	if conns.Load() == 0 {
		t.Error("the token service was never asked: the test proves nothing")
	}
}

// stopReading stands for a registry that stops reading an upload's body
// halfway through (a wedged storage backend) the first time, until
// release is closed (a server that does not read cannot tell that the
// client hung up).
func stopReading(release <-chan struct{}) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler { return stopReadingOnce(h, release) }
}

func stopReadingOnce(h http.Handler, release <-chan struct{}) http.Handler {
	var once sync.Once
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		first := false
		if r.Method == http.MethodPatch || (r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/blobs/uploads/") && r.ContentLength != 0) {
			once.Do(func() { first = true })
		}
		if !first {
			h.ServeHTTP(w, r)
			return
		}
		buf := make([]byte, 4096)
		r.Body.Read(buf)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
}

// TestUploadStallRecovers: an upload whose registry stops reading the body
// and never answers is cut (after the wait for an answer, ten stall
// windows for a PATCH or PUT) and sent again; the blob arrives.
func TestUploadStallRecovers(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a safety net only
	defer cancel()
	release := make(chan struct{})
	reg := testregistry.New(t, testregistry.Options{Wrap: stopReading(release)})
	t.Cleanup(func() { close(release) }) // before the registry stops
	c := newClient(t, reg, "app", nil, registry.WithStallTimeout(100*time.Millisecond))
	blob := bytes.Repeat([]byte("ferry "), 10<<10)
	d := ocispec.Descriptor{Digest: digest.FromBytes(blob), Size: int64(len(blob))}
	if err := c.PutBlob(ctx, "app", d, bytes.NewReader(blob)); err != nil {
		t.Fatalf("PutBlob: %v", err)
	}
	if !reg.HasBlob(t, "app", d.Digest) {
		t.Error("the blob is not in the registry")
	}
}
