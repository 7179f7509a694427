package registry_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/registry"
	"github.com/ferrytool/ferry/registry/auth"
)

// TestPoolKeepsCredentialsApart: two clients of one host with different
// credentials (copy's --src-creds and --dest-creds) share the session's
// ping but not their tokens; another User-Agent is another session.
func TestPoolKeepsCredentialsApart(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{Token: true, Basic: alice})
	img := testimage.New(testimage.Options{Seed: 77})
	reg.Push(t, "app", "1", img)
	reg.ResetRequests()
	n, err := reference.ParseNamed(reg.Host()+"/app", false)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pool := registry.NewPool(registry.PoolOptions{NoHints: true})
	defer pool.Close()
	client := func(o registry.Options) *registry.Client {
		o.Insecure = true
		c, err := pool.Client(n, &o)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	withCreds := client(registry.Options{Auth: auth.Settings{Username: alice.Username, Password: alice.Password}})
	anonymous := client(registry.Options{Auth: auth.Settings{NoCreds: true}})
	for range 3 {
		if _, _, _, err := withCreds.GetManifest(ctx, "app", "1"); err != nil {
			t.Fatalf("with credentials: %v", err)
		}
		if _, _, _, err := anonymous.GetManifest(ctx, "app", "1"); !errors.Is(err, errdefs.ErrUnauthorized) {
			t.Fatalf("anonymous: got %v, want ErrUnauthorized (a token of the other credential was used?)", err)
		}
	}
	pings := func() int {
		n := 0
		for _, r := range reg.Requests() {
			if r.Path == "/v2/" {
				n++
			}
		}
		return n
	}
	if got := pings(); got != 1 {
		t.Errorf("%d pings for two clients of one session, want 1", got)
	}
	var authed, anon int
	for _, tr := range reg.TokenRequests() {
		if tr.Authenticated {
			authed++
		} else {
			anon++
		}
	}
	// The anonymous client asks for its own each time (a refusal is not
	// kept); the other's token is fetched once and reused.
	if authed != 1 || anon < 3 {
		t.Errorf("token requests: %d with credentials, %d anonymous; want 1 and at least 3", authed, anon)
	}

	other := client(registry.Options{UserAgent: "other-agent", Auth: auth.Settings{Username: alice.Username, Password: alice.Password}})
	if _, _, _, err := other.GetManifest(ctx, "app", "1"); err != nil {
		t.Fatal(err)
	}
	if got := pings(); got != 2 {
		t.Errorf("%d pings after a client with another User-Agent, want 2 (a session of its own)", got)
	}

	if err := pool.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Client(n, &registry.Options{}); err == nil {
		t.Error("a closed pool made a client")
	}
}

// TestPoolSettlesEachBlobOnce: copies of one process pushing the same
// blobs into one repository at the same time (sync copies several tags
// of a repository at once) ask about, mount and upload each blob once;
// the others wait for that answer. A repeated mount would rewrite a blob
// link distribution's storage is checking another copy's manifest
// against, and that manifest would be refused.
func TestPoolSettlesEachBlobOnce(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{})
	img := testimage.New(testimage.Options{Seed: 78, LayerSizes: []int{1024, 2048, 4096}})
	reg.Push(t, "src/app", "1", img)
	reg.ResetRequests()
	n, err := reference.ParseNamed(reg.Host()+"/dst/app", false)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pool := registry.NewPool(registry.PoolOptions{NoHints: true})
	defer pool.Close()
	const copies = 6
	var wg sync.WaitGroup
	errs := make(chan error, copies*len(img.Layers))
	for range copies {
		c, err := pool.Client(n, &registry.Options{Insecure: true, Auth: auth.Settings{NoCreds: true}}, registry.ForPush())
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range img.Layers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				has, err := c.HeadBlob(ctx, "dst/app", l)
				if err == nil && !has {
					has, err = c.MountBlob(ctx, "dst/app", "src/app", l)
				}
				if err == nil && !has {
					err = fmt.Errorf("blob %s neither present nor mounted", l.Digest)
				}
				errs <- err
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := countRequests(reg.Requests(), http.MethodPost, "/dst/app/blobs/uploads/"); got != len(img.Layers) {
		t.Errorf("%d mounts for %d layers copied %d times at once, want one per layer", got, len(img.Layers), copies)
	}
	if got := countRequests(reg.Requests(), http.MethodHead, "/dst/app/blobs/"); got != len(img.Layers) {
		t.Errorf("%d HEADs for %d layers copied %d times at once, want one per layer", got, len(img.Layers), copies)
	}

	// Uploads of one blob at once: one is sent, every reader is read whole.
	reg.ResetRequests()
	c, err := pool.Client(n, &registry.Options{Insecure: true, Auth: auth.Settings{NoCreds: true}}, registry.ForPush())
	if err != nil {
		t.Fatal(err)
	}
	blob := randomBytes(2<<20, 79)
	d := desc(blob)
	readers := make([]*bytes.Reader, copies)
	var put sync.WaitGroup
	putErrs := make([]error, copies)
	for i := range readers {
		readers[i] = bytes.NewReader(blob)
		put.Add(1)
		go func() {
			defer put.Done()
			putErrs[i] = c.PutBlob(ctx, "dst/app", d, readers[i])
		}()
	}
	put.Wait()
	for i, err := range putErrs {
		if err != nil {
			t.Fatalf("PutBlob %d: %v", i, err)
		}
		if readers[i].Len() != 0 {
			t.Errorf("PutBlob %d left %d bytes unread", i, readers[i].Len())
		}
	}
	if got := countRequests(reg.Requests(), http.MethodPost, "/dst/app/blobs/uploads/"); got != 1 {
		t.Errorf("%d uploads started for one blob put %d times at once, want 1", got, copies)
	}
	if !reg.HasBlob(t, "dst/app", d.Digest) {
		t.Error("the uploaded blob is missing")
	}
}
