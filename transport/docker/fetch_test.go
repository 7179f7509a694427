package docker_test

import (
	"bytes"
	"context"
	"io"
	"math/rand"
	"net/http"
	"testing"

	"github.com/ferrytool/ferry/fetch"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/registry/auth"
	"github.com/ferrytool/ferry/transport/docker"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestFetchFromRegistry downloads a blob in ranges over several
// connections with package fetch, reading through the docker Source, from
// a token-protected registry that redirects blobs to another host.
func TestFetchFromRegistry(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{Token: true, Basic: bob, Redirect: true})
	content := make([]byte, 3<<20)
	rand.New(rand.NewSource(7)).Read(content)
	d := ocispec.Descriptor{Digest: reg.PutBlob(t, "big", content), Size: int64(len(content))}
	reg.ResetRequests()

	o := opts(reg)
	o.Auth = auth.Settings{Username: bob.Username, Password: bob.Password}
	src, _ := open(t, ref(t, reg, "big:1"), o)
	// Loopback is fast: the probe is told every link is slow, so the blob
	// comes in ranges, as over the links they are for.
	f, err := fetch.New(fetch.WithDir(t.TempDir()), fetch.WithThreshold(1<<20), fetch.WithChunkSize(512<<10), fetch.WithConnections(4),
		fetch.WithLinkProbe(0, 1<<62))
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.Fetch(context.Background(), src.(*docker.Source), d)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	defer b.Close()
	got, err := io.ReadAll(b)
	if err != nil || !bytes.Equal(got, content) || digest.FromBytes(got) != d.Digest {
		t.Fatalf("fetched %d bytes (err %v), want the blob's %d", len(got), err, len(content))
	}
	ranged := 0
	for _, r := range reg.RedirectRequests() {
		if r.Authorization {
			t.Fatalf("credentials sent to the redirect target %s", r.Host)
		}
		if r.Method == http.MethodGet {
			ranged++
		}
	}
	if ranged < 2 {
		t.Errorf("redirect target served %d requests, want the blob in several ranges", ranged)
	}
}

// TestReadRange checks the byte ranges the Source serves.
func TestReadRange(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{})
	content := []byte("0123456789abcdefghij")
	d := ocispec.Descriptor{Digest: reg.PutBlob(t, "r", content), Size: int64(len(content))}
	src, _ := open(t, ref(t, reg, "r:1"), opts(reg))
	rr := src.(fetch.RangeReader)
	for _, tt := range []struct {
		off, n int64
		want   string
	}{{0, -1, string(content)}, {0, 5, "01234"}, {10, 5, "abcde"}, {15, -1, "fghij"}, {3, 0, ""}} {
		rc, err := rr.ReadRange(context.Background(), d, tt.off, tt.n)
		if err != nil {
			t.Fatalf("ReadRange(%d, %d): %v", tt.off, tt.n, err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if string(got) != tt.want {
			t.Errorf("ReadRange(%d, %d): got %q, want %q", tt.off, tt.n, got, tt.want)
		}
	}
}
