package registry_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testenv"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/registry"
	"github.com/ferrytool/ferry/registry/auth"
)

// TestPoolRegistriesConf: a registry registries.conf marks insecure is
// reached over plain HTTP without Options.Insecure; one it blocks is
// refused before any request, for every use (the pool does not know a
// push from a pull).
func TestPoolRegistriesConf(t *testing.T) {
	t.Parallel()
	open := testregistry.New(t, testregistry.Options{})
	blocked := testregistry.New(t, testregistry.Options{})
	img := testimage.New(testimage.Options{Seed: 78})
	open.Push(t, "app", "1", img)
	blocked.Push(t, "app", "1", img)
	blocked.ResetRequests()
	rc := testenv.RegistriesConf(t, "[[registry]]\nlocation = \""+open.Host()+"\"\ninsecure = true\n\n[[registry]]\nlocation = \""+blocked.Host()+"/app\"\nblocked = true\n")
	pool := registry.NewPool(registry.PoolOptions{NoHints: true})
	defer pool.Close()
	o := &registry.Options{Auth: auth.Settings{NoCreds: true}, Registries: rc}
	name := func(r *testregistry.Registry, s string) reference.Named {
		n, err := reference.ParseNamed(r.Ref(s), false)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	c, err := pool.Client(name(open, "app"), o)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.GetManifest(context.Background(), "app", "1"); err != nil {
		t.Errorf("insecure registry over plain HTTP: %v", err)
	}
	if _, err := pool.Client(name(blocked, "app"), o, registry.ForPush()); !errors.Is(err, errdefs.ErrDenied) {
		t.Errorf("blocked repository: %v, want access denied", err)
	}
	// The prefix blocks one repository, not the whole host.
	if _, err := pool.Client(name(blocked, "other"), o); err != nil {
		t.Errorf("repository outside the blocked prefix: %v", err)
	}
	if got := blocked.Requests(); len(got) != 0 {
		t.Errorf("the blocked registry was asked %d requests", len(got))
	}
}
