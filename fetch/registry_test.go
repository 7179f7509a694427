package fetch_test

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/ferrytool/ferry/fetch"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/registry/auth"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/docker"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/rs/zerolog"
)

// TestFetchFromRegistry fetches through the docker transport's Source from
// the real registry (distribution's handlers, in process), with real
// network faults from toxiproxy in front of it.
func TestFetchFromRegistry(t *testing.T) {
	t.Parallel()
	creds := &testregistry.Creds{Username: "bob", Password: "secret"}
	for _, tc := range []struct {
		name string
		opts testregistry.Options
		// toxics (toxiproxy JSON) between client and registry.
		toxics []string
		// maxExtra bounds the bytes read beyond the blob's size.
		maxExtra int64
	}{
		{"token auth", testregistry.Options{Token: true, Basic: creds}, nil, 4 << 17},
		{"token auth, every connection cut mid-body", testregistry.Options{Token: true, Basic: creds},
			[]string{`{"type":"limit_data","attributes":{"bytes":716800}}`}, 4 << 17},
		{"blobs redirected to another host", testregistry.Options{Redirect: true}, nil, 4 << 17},
		// A proxy in front of the registry that drops the Range header:
		// the first range's answer is the whole blob, and the fetch
		// continues on it, one request, not a byte read twice.
		{"a proxy that drops Range", testregistry.Options{Wrap: dropRange}, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			reg := testregistry.New(t, tc.opts)
			content := make([]byte, 5<<20+77)
			rand.NewChaCha8([32]byte{7}).Read(content)
			d := ocispec.Descriptor{Digest: reg.PutBlob(t, "app", content), Size: int64(len(content))}

			host := reg.Host()
			if tc.toxics != nil {
				host = proxy(t, host, tc.toxics)
			}
			cfg := docker.Config{Insecure: true, Auth: auth.Settings{NoCreds: true}}
			if tc.opts.Basic != nil {
				cfg.Auth = auth.Settings{Username: creds.Username, Password: creds.Password}
			}
			ref, err := docker.New(cfg).ParseReference("//" + host + "/app:1")
			if err != nil {
				t.Fatal(err)
			}
			s, err := ref.NewSource(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			src := &countingSource{Source: s.(*docker.Source)}

			// Loopback is fast: the probe is told every link is slow, so
			// the blob comes in ranges, as over the links they are for.
			f, err := fetch.New(fetch.WithDir(t.TempDir()), fetch.WithThreshold(1<<20), fetch.WithChunkSize(1<<20),
				fetch.WithConnections(4), fetch.WithRetries(10, 0), fetch.WithLinkProbe(0, 1<<62))
			if err != nil {
				t.Fatal(err)
			}
			b, err := f.Fetch(context.Background(), src, d)
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			defer b.Close()
			got, err := io.ReadAll(b)
			if err != nil || !bytes.Equal(got, content) {
				t.Fatalf("fetched %d bytes (%v) that are not the blob", len(got), err)
			}
			if n := src.read.Load(); n < d.Size || n > d.Size+tc.maxExtra {
				t.Errorf("read %d bytes for a blob of %d, want at most %d more", n, d.Size, tc.maxExtra)
			}
			if calls := src.calls.Load(); tc.opts.Wrap == nil && calls < 2 {
				t.Errorf("%d requests, want the blob in several ranges", calls)
			} else if tc.opts.Wrap != nil && calls != 1 {
				t.Errorf("%d requests, want the whole blob from the first", calls)
			}
			for _, r := range reg.RedirectRequests() {
				if r.Authorization {
					t.Errorf("credentials sent to the redirect target %s", r.Host)
				}
			}
		})
	}
}

// dropRange removes the Range header from blob requests, as some proxies
// do.
func dropRange(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del("Range")
		h.ServeHTTP(w, r)
	})
}

// proxy runs toxiproxy in process in front of host with the toxics, and
// returns the proxy's host:port.
func proxy(t *testing.T, host string, toxics []string) string {
	t.Helper()
	p := toxiproxy.NewProxy(toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop()), t.Name(), "127.0.0.1:0", host)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	for _, js := range toxics {
		if _, err := p.Toxics.AddToxicJson(strings.NewReader(js)); err != nil {
			t.Fatal(err)
		}
	}
	u := url.URL{Host: p.Listen}
	return u.Host
}

// countingSource counts the body bytes read through a docker Source.
type countingSource struct {
	*docker.Source
	read, calls atomic.Int64
}

func (c *countingSource) ReadRange(ctx context.Context, d ocispec.Descriptor, off, n int64) (io.ReadCloser, error) {
	c.calls.Add(1)
	body, err := c.Source.ReadRange(ctx, d, off, n)
	if body != nil {
		body = &countingBody{ReadCloser: body, n: &c.read}
	}
	return body, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// TestStreamFromRegistryIgnoringRange: a registry behind a proxy that
// drops Range (some caching proxies do) streams a blob of 8 MiB or more to
// a stream destination (an archive, stdout, a push) whole, over one
// request, not a byte read twice. It used to fail with "the server ignored
// the byte range and sent the whole blob".
func TestStreamFromRegistryIgnoringRange(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a safety net only
	defer cancel()
	reg := testregistry.New(t, testregistry.Options{Wrap: dropRange})
	content := make([]byte, 9<<20+77)
	rand.NewChaCha8([32]byte{9}).Read(content)
	d := ocispec.Descriptor{Digest: reg.PutBlob(t, "app", content), Size: int64(len(content))}
	ref, err := docker.New(docker.Config{Insecure: true, Auth: auth.Settings{NoCreds: true}}).ParseReference("//" + reg.Host() + "/app:1")
	if err != nil {
		t.Fatal(err)
	}
	s, err := ref.NewSource(ctx, &transport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	src := &countingSource{Source: s.(*docker.Source)}
	f, err := fetch.New(fetch.WithDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := f.Stream(ctx, src, d)
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("streamed %d bytes (%v) that are not the blob", len(got), err)
	}
	if n, calls := src.read.Load(), src.calls.Load(); n != d.Size || calls != 1 {
		t.Errorf("read %d bytes in %d requests for a blob of %d, want it once in one", n, calls, d.Size)
	}
}
