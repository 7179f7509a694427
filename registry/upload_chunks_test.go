package registry_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/registry"
	"github.com/ferrytool/ferry/registry/hints"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

const mib = 1 << 20

// checkBlob reads the blob back from the registry, byte for byte.
func checkBlob(t *testing.T, c *registry.Client, repo string, want []byte) {
	t.Helper()
	rc, err := c.GetBlob(context.Background(), repo, ocispec.Descriptor{Digest: digest.FromBytes(want)})
	if err != nil {
		t.Fatalf("reading the blob back: %v", err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read back %d bytes (err %v) that differ from the %d uploaded", len(got), err, len(want))
	}
}

// patchBytes sums the request body bytes PATCH requests brought to the
// registry (as its request recorder counted them).
func patchBytes(reqs []testregistry.Request) (n int64, count int) {
	for _, r := range reqs {
		if r.Method == http.MethodPatch {
			n += r.BodyBytes
			count++
		}
	}
	return n, count
}

// TestChunkedUploads pushes blobs in chunks: asked for, forced by a
// proxy's body limit, shaped by the registry's minimum chunk size, and
// resumed after a connection cut mid-chunk or mid-stream.
func TestChunkedUploads(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		size   int
		chunk  int64 // WithChunkSize
		limit  int64 // proxy body limit (0: none)
		min    int64 // OCI-Chunk-Min-Length (0: none)
		cut    *cutOnce
		stream bool // PutBlobStream: size unknown
		// wantChunk: no PATCH reaching the registry is larger; wantMin: none
		// but the last is smaller.
		wantChunk, wantMin int64
		// wantResent bounds the bytes sent more than once.
		wantResent int64
	}{
		{name: "asked", size: 5*mib + 123, chunk: mib, wantChunk: mib, wantMin: mib},
		{name: "proxy-limit", size: 20 * mib, limit: 8 * mib, wantChunk: 8 * mib},
		{name: "proxy-limit-stream", size: 20 * mib, limit: 8 * mib, stream: true, wantChunk: 8 * mib},
		{name: "proxy-limit-monolithic", size: 900 << 10, limit: 700 << 10, wantChunk: 700 << 10},
		{name: "proxy-limit-small-chunks", size: 3 * mib, chunk: 2 * mib, limit: 700 << 10, wantChunk: 700 << 10},
		{name: "min-chunk-length", size: 10 * mib, chunk: mib, min: 3 * mib, wantChunk: 3 * mib, wantMin: 3 * mib},
		{name: "cut-mid-chunk", size: 9 * mib, chunk: 2 * mib, wantChunk: 2 * mib, wantResent: 2 * mib,
			cut: &cutOnce{match: func(r *http.Request) bool { return r.Method == http.MethodPatch && chunkStart(r) == 4*mib }, after: mib + 7}},
		{name: "cut-mid-stream", size: 6 * mib, wantResent: registry.DefaultChunkSize,
			cut: &cutOnce{match: func(r *http.Request) bool { return r.Method == http.MethodPatch && chunkStart(r) < 0 }, after: 2 * mib}},
		{name: "cut-mid-stream-unknown-size", size: 6 * mib, stream: true, wantResent: registry.DefaultChunkSize,
			cut: &cutOnce{match: func(r *http.Request) bool { return r.Method == http.MethodPatch && chunkStart(r) < 0 }, after: 2 * mib}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var wraps []func(http.Handler) http.Handler
			proxy := &bodyLimit{limit: tt.limit}
			if tt.limit > 0 {
				wraps = append(wraps, proxy.wrap)
			}
			if tt.cut != nil {
				wraps = append(wraps, tt.cut.wrap)
			}
			if tt.min > 0 {
				wraps = append(wraps, minChunkHeader(tt.min))
			}
			log := &patchLog{}
			wraps = append(wraps, log.wrap)
			reg := testregistry.New(t, testregistry.Options{Wrap: chain(wraps...)})
			c := newClient(t, reg, "big", nil, registry.ForPush(), registry.WithChunkSize(tt.chunk))
			content := randomBytes(tt.size, int64(tt.size))
			ctx := context.Background()
			if tt.stream {
				d, err := c.PutBlobStream(ctx, "big", "application/x-test", bytes.NewReader(content))
				if err != nil {
					t.Fatalf("PutBlobStream: %v", err)
				}
				if d.Digest != digest.FromBytes(content) || d.Size != int64(len(content)) {
					t.Fatalf("PutBlobStream: got %+v", d)
				}
			} else if err := c.PutBlob(ctx, "big", desc(content), bytes.NewReader(content)); err != nil {
				t.Fatalf("PutBlob: %v", err)
			}
			checkBlob(t, c, "big", content)

			patches := log.get()
			var chunks []patchReq
			for _, p := range patches {
				if p.start >= 0 {
					chunks = append(chunks, p)
				}
			}
			for i, p := range chunks {
				if tt.wantChunk > 0 && p.length > tt.wantChunk {
					t.Errorf("chunk %d at %d: %d bytes, want at most %d", i, p.start, p.length, tt.wantChunk)
				}
				if tt.wantMin > 0 && i < len(chunks)-1 && p.length < tt.wantMin {
					t.Errorf("chunk %d at %d: %d bytes, want at least %d", i, p.start, p.length, tt.wantMin)
				}
			}
			if tt.limit > 0 {
				largest, refused := proxy.stats()
				if largest > tt.limit || refused == 0 {
					t.Errorf("proxy: largest body forwarded %d (limit %d), %d refused; want some refused and none over", largest, tt.limit, refused)
				}
				if len(chunks) < tt.size/int(tt.limit) {
					t.Errorf("%d chunks reached the registry, want at least %d", len(chunks), tt.size/int(tt.limit))
				}
			}
			if tt.chunk > 0 && tt.limit == 0 && len(chunks) != len(patches) {
				t.Errorf("%d PATCH requests without Content-Range, want none when a chunk size is asked for", len(patches)-len(chunks))
			}
			sent, _ := patchBytes(reg.Requests())
			if resent := sent - int64(tt.size); resent > tt.wantResent && tt.limit == 0 {
				t.Errorf("PATCH requests brought %d bytes for a %d-byte blob: %d sent again, want at most %d", sent, tt.size, resent, tt.wantResent)
			}
			if tt.cut != nil && !tt.cut.fired.Load() {
				t.Errorf("the connection was never cut")
			}
		})
	}
}

// TestChunkFaults: a chunk answered with 429 (Retry-After), 500 or 416 is
// sent again from where the registry stands; one refused for good
// cancels the session.
func TestChunkFaults(t *testing.T) {
	t.Parallel()
	isChunk := func(at int64) func(*http.Request) bool {
		return func(r *http.Request) bool { return r.Method == http.MethodPatch && chunkStart(r) == at }
	}
	tests := []struct {
		name    string
		status  int
		wantErr error
	}{
		{"429", http.StatusTooManyRequests, nil},
		{"500", http.StatusInternalServerError, nil},
		{"503", http.StatusServiceUnavailable, nil},
		{"416", http.StatusRequestedRangeNotSatisfiable, nil},
		{"403", http.StatusForbidden, errdefs.ErrDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg := testregistry.New(t, testregistry.Options{Wrap: failOnce(isChunk(2*mib), tt.status, "0")})
			c := newClient(t, reg, "r", nil, registry.ForPush(), registry.WithChunkSize(mib))
			content := randomBytes(4*mib+5, 9)
			err := c.PutBlob(context.Background(), "r", desc(content), bytes.NewReader(content))
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("PutBlob: %v", err)
				}
				checkBlob(t, c, "r", content)
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("PutBlob: got %v, want %v", err, tt.wantErr)
			}
			if n := countRequests(reg.Requests(), http.MethodDelete, "/blobs/uploads/"); n != 1 {
				t.Errorf("upload session cancelled %d times, want 1", n)
			}
		})
	}
}

// TestChunkedUploadFailures: content that is wrong, or a source that
// fails, is never committed in chunked mode either, and the session is
// cancelled (DELETE).
func TestChunkedUploadFailures(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{})
	content := randomBytes(3*mib+100, 4)
	errBroken := errors.New("source connection dropped")
	tests := []struct {
		name    string
		desc    ocispec.Descriptor
		reader  func() io.Reader
		wantErr error
	}{
		{"wrong-digest", ocispec.Descriptor{Digest: digest.FromString("x"), Size: int64(len(content))},
			func() io.Reader { return bytes.NewReader(content) }, errdefs.ErrDigestMismatch},
		{"too-long", ocispec.Descriptor{Digest: digest.FromBytes(content), Size: int64(len(content)) - 1},
			func() io.Reader { return bytes.NewReader(content) }, errdefs.ErrSizeMismatch},
		{"too-short", ocispec.Descriptor{Digest: digest.FromBytes(content), Size: int64(len(content)) + 1},
			func() io.Reader { return bytes.NewReader(content) }, errdefs.ErrSizeMismatch},
		{"read-fails", desc(content),
			func() io.Reader { return &failingReader{r: bytes.NewReader(content[:2*mib+1]), err: errBroken} }, errBroken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := "fail/" + tt.name
			c := newClient(t, reg, repo, nil, registry.ForPush(), registry.WithChunkSize(mib))
			reg.ResetRequests()
			err := c.PutBlob(context.Background(), repo, tt.desc, tt.reader())
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("PutBlob: got %v, want %v", err, tt.wantErr)
			}
			if reg.HasBlob(t, repo, digest.FromBytes(content)) || reg.HasBlob(t, repo, tt.desc.Digest) {
				t.Fatal("the blob was committed")
			}
			if n := countRequests(reg.Requests(), http.MethodDelete, "/blobs/uploads/"); n != 1 {
				t.Errorf("upload session cancelled %d times, want 1", n)
			}
		})
	}
}

// TestBodyLimitRemembered: once a proxy refused a large request, later
// blobs of the copy, and later copies sharing the hint record, go
// straight to chunks of the size that got through.
func TestBodyLimitRemembered(t *testing.T) {
	t.Parallel()
	proxy := &bodyLimit{limit: 2 * mib}
	reg := testregistry.New(t, testregistry.Options{Wrap: proxy.wrap})
	path := filepath.Join(t.TempDir(), "hints.json")
	ctx := context.Background()

	c := newClient(t, reg, "r", nil, registry.ForPush(), registry.WithHints(hints.Open(path, nil)))
	first := randomBytes(5*mib, 1)
	if err := c.PutBlob(ctx, "r", desc(first), bytes.NewReader(first)); err != nil {
		t.Fatal(err)
	}
	if _, refused := proxy.stats(); refused == 0 {
		t.Fatal("the proxy refused nothing: the test proves nothing")
	}
	for i, size := range []int{5 * mib, mib + 10} { // a streamed blob, then a would-be monolithic one
		_, before := proxy.stats()
		b := randomBytes(size, int64(i+2))
		if err := c.PutBlob(ctx, "r", desc(b), bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
		if _, after := proxy.stats(); after != before {
			t.Errorf("blob %d: %d requests refused, want none once the limit is known", i, after-before)
		}
	}
	c.Close()

	c2 := newClient(t, reg, "r", nil, registry.ForPush(), registry.WithHints(hints.Open(path, nil)))
	_, before := proxy.stats()
	b := randomBytes(5*mib, 9)
	if err := c2.PutBlob(ctx, "r", desc(b), bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	if _, after := proxy.stats(); after != before {
		t.Errorf("a later client: %d requests refused, want none: the hint says chunks", after-before)
	}
	checkBlob(t, c2, "r", b)
}

// TestStreamedPatchRefused: a streamed PATCH answered 429 (Retry-After) or
// 503 before its body was read is not lost: the upload goes on in chunks
// from what the registry holds.
func TestStreamedPatchRefused(t *testing.T) {
	t.Parallel()
	isStream := func(r *http.Request) bool { return r.Method == http.MethodPatch && chunkStart(r) < 0 }
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		reg := testregistry.New(t, testregistry.Options{Wrap: failOnce(isStream, status, "0")})
		c := newClient(t, reg, "r", nil, registry.ForPush())
		content := randomBytes(mib+mib/2, int64(status))
		if err := c.PutBlob(context.Background(), "r", desc(content), bytes.NewReader(content)); err != nil {
			t.Fatalf("status %d: PutBlob: %v", status, err)
		}
		checkBlob(t, c, "r", content)
		failed := 0
		for _, r := range reg.Requests() {
			if r.Status == status {
				failed++
			}
		}
		if failed != 1 {
			t.Errorf("requests answered %d: %d, want 1", status, failed)
		}
	}
}

// TestChunksRefused: a registry that refuses PATCH requests with a
// Content-Range (a wrapper answers 400 UNSUPPORTED, as registries without
// chunked uploads may; the in-process one takes them) gets the rest of
// the blob in one streamed request instead, after the first chunk or at
// any later one.
func TestChunksRefused(t *testing.T) {
	t.Parallel()
	for _, from := range []int64{0, mib} {
		refuse := func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPatch && chunkStart(r) >= from {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusBadRequest)
					io.WriteString(w, `{"errors":[{"code":"UNSUPPORTED","message":"chunked uploads are not supported"}]}`)
					return
				}
				h.ServeHTTP(w, r)
			})
		}
		reg := testregistry.New(t, testregistry.Options{Wrap: refuse})
		c := newClient(t, reg, "r", nil, registry.ForPush(), registry.WithChunkSize(mib/2))
		content := randomBytes(2*mib+3, from)
		if err := c.PutBlob(context.Background(), "r", desc(content), bytes.NewReader(content)); err != nil {
			t.Fatalf("chunks refused from %d: %v", from, err)
		}
		checkBlob(t, c, "r", content)
	}
}

// TestStreamCutBeyondMemory: a proxy that buffers whole requests (nginx's
// proxy_request_buffering) cuts a streamed PATCH after more than a chunk
// (a fake: the in-process registry never cuts). The registry holds
// nothing and the bytes sent are no longer all in memory: the upload
// fails as unavailable (the copy's retry reads the blob again), its
// session is cancelled, and the next blob of the copy goes in chunks.
func TestStreamCutBeyondMemory(t *testing.T) {
	t.Parallel()
	log := &patchLog{}
	reg := testregistry.New(t, testregistry.Options{Wrap: swallowFirstStream(log.wrap)})
	c := newClient(t, reg, "r", nil, registry.ForPush())
	big := randomBytes(registry.DefaultChunkSize+2*mib, 5)
	err := c.PutBlob(context.Background(), "r", desc(big), bytes.NewReader(big))
	if !errors.Is(err, errdefs.ErrUnavailable) {
		t.Fatalf("PutBlob cut beyond memory: got %v, want ErrUnavailable", err)
	}
	if n := countRequests(reg.Requests(), http.MethodDelete, "/blobs/uploads/"); n != 1 {
		t.Errorf("upload session cancelled %d times, want 1", n)
	}
	next := randomBytes(3*mib, 6)
	if err := c.PutBlob(context.Background(), "r", desc(next), bytes.NewReader(next)); err != nil {
		t.Fatalf("the next PutBlob: %v", err)
	}
	checkBlob(t, c, "r", next)
	patches := log.get()
	if len(patches) == 0 {
		t.Fatal("no PATCH reached the registry")
	}
	for _, p := range patches {
		if p.start < 0 {
			t.Errorf("a streamed PATCH after the cut, want chunks: %+v", patches)
		}
	}
}

// reopenableBytes is a blob reader that can read the blob again from an
// offset (registry.Reopener), recording the offsets asked for.
type reopenableBytes struct {
	*bytes.Reader
	b       []byte
	reopens []int64
}

func (r *reopenableBytes) ReopenAt(_ context.Context, off int64) (io.ReadCloser, error) {
	r.reopens = append(r.reopens, off)
	return io.NopCloser(bytes.NewReader(r.b[off:])), nil
}

// TestStreamCutResumedFromSource: the cut of TestStreamCutBeyondMemory,
// with a source that can be read again: the upload keeps nothing in
// memory for resending, resumes from what the registry holds by reading
// the source again, and commits the right bytes (hashed once each).
func TestStreamCutResumedFromSource(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{Wrap: swallowFirstStream(func(h http.Handler) http.Handler { return h })})
	c := newClient(t, reg, "r", nil, registry.ForPush())
	big := randomBytes(registry.DefaultChunkSize+2*mib, 7)
	src := &reopenableBytes{Reader: bytes.NewReader(big), b: big}
	if err := c.PutBlob(context.Background(), "r", desc(big), src); err != nil {
		t.Fatalf("PutBlob cut beyond memory, source readable again: %v", err)
	}
	checkBlob(t, c, "r", big)
	if len(src.reopens) != 1 || src.reopens[0] != 0 {
		t.Errorf("source read again from %v, want once from 0 (what the registry held)", src.reopens)
	}
	if _, n := patchBytes(reg.Requests()); n < 2 {
		t.Errorf("%d PATCH requests, want the cut one and at least one after it", n)
	}
}

// swallowFirstStream is a proxy in front of next that takes the first
// DefaultChunkSize+1 MiB of the first streamed PATCH and cuts the
// connection, with nothing passed on (one that buffers a body and gives
// up); every other request goes through.
func swallowFirstStream(next func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	var cuts atomic.Int32
	return func(h http.Handler) http.Handler {
		h = next(h)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPatch || chunkStart(r) >= 0 || cuts.Add(1) > 1 {
				h.ServeHTTP(w, r)
				return
			}
			io.CopyN(io.Discard, r.Body, registry.DefaultChunkSize+mib)
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				conn.Close()
			}
		})
	}
}
