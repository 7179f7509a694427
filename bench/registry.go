//go:build linux

package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/sirupsen/logrus"

	// Registered by name in the configuration below.
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
)

// registry is a real distribution registry (the CNCF reference
// implementation, as run by Docker Hub's predecessors and most private
// registries) serving plain HTTP on loopback, with filesystem storage in a
// directory of the bench's work tree. It counts the blob bytes it serves
// and receives, so every command run knows what crossed the wire.
type registry struct {
	// Host is "127.0.0.1:PORT", the registry part of image names.
	Host string

	srv    *http.Server
	app    *handlers.App
	cancel context.CancelFunc

	blobBytesOut atomic.Int64 // response body bytes of blob GETs
	blobGets     atomic.Int64 // blob GET requests (ranged ones included)
	uploadBytes  atomic.Int64 // request body bytes of blob uploads (PATCH, PUT)
	requests     atomic.Int64 // every request
	manifestGets atomic.Int64 // manifest GETs
	tagLists     atomic.Int64 // tag list GETs (pages)
}

// wireCount is a snapshot of a registry's counters.
type wireCount struct {
	BlobBytesOut int64 `json:"blobBytesServed"`
	BlobGets     int64 `json:"blobGets"`
	UploadBytes  int64 `json:"uploadBytesReceived"`
	Requests     int64 `json:"requests"`
	ManifestGets int64 `json:"manifestGets"`
	TagLists     int64 `json:"tagListGets"`
}

func init() {
	logrus.SetOutput(io.Discard)
	logrus.SetLevel(logrus.PanicLevel)
}

// startRegistry serves a registry storing its data under root.
func startRegistry(root string) (*registry, error) {
	cfg := &configuration.Configuration{
		Storage: configuration.Storage{
			"filesystem":  configuration.Parameters{"rootdirectory": root},
			"delete":      configuration.Parameters{"enabled": true},
			"maintenance": configuration.Parameters{"uploadpurging": map[any]any{"enabled": false}},
		},
	}
	cfg.HTTP.Secret = "ferry-bench-secret"
	cfg.Log.AccessLog.Disabled = true
	cfg.Log.Level = "error"

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &registry{Host: l.Addr().String(), cancel: cancel}
	r.app = handlers.NewApp(ctx, cfg)
	r.srv = &http.Server{Handler: r.count(r.app), ReadHeaderTimeout: time.Minute}
	go func() { _ = r.srv.Serve(l) }()
	return r, nil
}

// Close stops the server and the registry app.
func (r *registry) Close() {
	_ = r.srv.Close()
	_ = r.app.Shutdown()
	r.cancel()
}

// URL is the registry's base URL.
func (r *registry) URL() string { return "http://" + r.Host }

// Counters reads the counters.
func (r *registry) Counters() wireCount {
	return wireCount{
		BlobBytesOut: r.blobBytesOut.Load(),
		BlobGets:     r.blobGets.Load(),
		UploadBytes:  r.uploadBytes.Load(),
		Requests:     r.requests.Load(),
		ManifestGets: r.manifestGets.Load(),
		TagLists:     r.tagLists.Load(),
	}
}

// Reset zeroes the counters before a command run.
func (r *registry) Reset() {
	r.blobBytesOut.Store(0)
	r.blobGets.Store(0)
	r.uploadBytes.Store(0)
	r.requests.Store(0)
	r.manifestGets.Store(0)
	r.tagLists.Store(0)
}

// count wraps h to count blob bytes: response bodies of GETs on
// /v2/NAME/blobs/DIGEST, request bodies of uploads under
// /v2/NAME/blobs/uploads/.
func (r *registry) count(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		p := req.URL.Path
		r.requests.Add(1)
		if req.Method == http.MethodGet && strings.Contains(p, "/manifests/") {
			r.manifestGets.Add(1)
		}
		if req.Method == http.MethodGet && strings.HasSuffix(p, "/tags/list") {
			r.tagLists.Add(1)
		}
		switch {
		case !strings.HasPrefix(p, "/v2/"):
		case strings.Contains(p, "/blobs/uploads/"):
			if req.Body != nil && (req.Method == http.MethodPatch || req.Method == http.MethodPut) {
				req.Body = &countingBody{ReadCloser: req.Body, n: &r.uploadBytes}
			}
		case strings.Contains(p, "/blobs/sha256:") && req.Method == http.MethodGet:
			r.blobGets.Add(1)
			w = &countingResponse{ResponseWriter: w, n: &r.blobBytesOut}
		}
		h.ServeHTTP(w, req)
	})
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// countingResponse counts body bytes as they are written, so a watcher
// sees progress in the middle of a blob.
type countingResponse struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (c *countingResponse) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	c.n.Add(int64(n))
	return n, err
}

func (c *countingResponse) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (c *countingResponse) Unwrap() http.ResponseWriter { return c.ResponseWriter }
