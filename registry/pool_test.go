package registry_test

import (
	"context"
	"errors"
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
