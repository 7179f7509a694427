package ferry_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry"
)

// TestLoginLogout logs in to the private registry through the front door:
// a refused password stores nothing, an accepted one is stored in the
// named file and used by a later copy without credentials, and a logout
// removes it.
func TestLoginLogout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "auth.json")
	c, err := ferry.NewClient(ferry.WithInsecure(privateHost), ferry.WithAuthFile(file))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	if _, err := c.Login(ctx, privateHost, "ci", "wrong"); !errors.Is(err, ferry.ErrUnauthorized) {
		t.Fatalf("Login with a wrong password: %v, want ErrUnauthorized", err)
	}
	if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused login wrote the auth file (stat: %v)", err)
	}
	where, err := c.Login(ctx, privateHost, "ci", "s3cret")
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if where != file {
		t.Errorf("Login stored the login in %q, want %q", where, file)
	}
	got, err := c.StoredLogin(ctx, privateHost)
	if err != nil || got.Username != "ci" || got.Password != "s3cret" || got.From != file {
		t.Fatalf("StoredLogin = %+v, %v; want ci / s3cret from %s", got, err, file)
	}
	dst := "oci:" + filepath.Join(t.TempDir(), "layout") + ":app"
	if _, err := c.Copy(ctx, "docker://"+privateHost+"/team/app:v1", dst); err != nil {
		t.Fatalf("Copy with the stored login: %v", err)
	}
	if err := c.Logout(ctx, privateHost); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	if got, err := c.StoredLogin(ctx, privateHost); err != nil || got.Username != "" {
		t.Fatalf("StoredLogin after Logout = %+v, %v; want none", got, err)
	}
	if err := c.Logout(ctx, privateHost); !errors.Is(err, ferry.ErrNotFound) {
		t.Fatalf("a second Logout: %v, want ErrNotFound", err)
	}
	// A new client: c keeps the registry session it logged in with.
	_, err = ferry.Copy(ctx, "docker://"+privateHost+"/team/app:v1", dst, ferry.WithInsecure(privateHost), ferry.WithAuthFile(file))
	if !errors.Is(err, ferry.ErrUnauthorized) {
		t.Fatalf("Copy after Logout: %v, want ErrUnauthorized", err)
	}
}

// TestSyncNames checks how Sync's source and destination are named, and
// that a bad one is refused before anything is read.
func TestSyncNames(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		src, dst string
		want     error
		msg      string
	}{
		{"registry.example/app", "docker://registry.internal/m", ferry.ErrInvalidName, "TRANSPORT:LOCATION"},
		{"oci:/srv/layout", "docker://registry.internal/m", ferry.ErrInvalidArgument, `"oci" is not a valid source transport`},
		{"docker:registry.example/app", "docker://registry.internal/m", ferry.ErrInvalidName, "docker://HOST/PATH"},
		{"yaml:/nonexistent/mirror.yaml", "yaml:/srv/m", ferry.ErrInvalidArgument, `"yaml" is not a valid destination transport`},
		{"dir:/srv/a", "dir:/srv/b", ferry.ErrUnsupported, "rsync"},
	} {
		_, err := ferry.Sync(ctx, tc.src, tc.dst, ferry.SyncOptions{})
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Sync(%q, %q) = %v, want %v mentioning %q", tc.src, tc.dst, err, tc.want, tc.msg)
		}
	}
	if _, err := ferry.Sync(ctx, "dir:/srv/a", "oci:/srv/b", ferry.SyncOptions{Shard: ferry.SyncShard{Index: 4, Count: 4}}); !errors.Is(err, ferry.ErrInvalidArgument) {
		t.Errorf("Sync with shard 4/4: %v, want ErrInvalidArgument", err)
	}
}

// TestLoginRegistriesConf: as skopeo login does, a login to a plain-HTTP
// registry that the client's registries.conf marks insecure succeeds
// without WithInsecure, and one to a registry it blocks is refused
// (ErrDenied) before any credential is sent or stored.
func TestLoginRegistriesConf(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	conf := func(name, setting string) string {
		p := filepath.Join(dir, name)
		text := "[[registry]]\nlocation = \"" + privateHost + "\"\n" + setting + " = true\n"
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	file := filepath.Join(dir, "auth.json")
	c, err := ferry.NewClient(ferry.WithRegistriesConf(conf("insecure.conf", "insecure")), ferry.WithAuthFile(file))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.CheckLogin(ctx, privateHost, "ci", "s3cret"); err != nil {
		t.Fatalf("CheckLogin to a registry registries.conf marks insecure: %v", err)
	}

	b, err := ferry.NewClient(ferry.WithInsecure(privateHost), ferry.WithRegistriesConf(conf("blocked.conf", "blocked")), ferry.WithAuthFile(file))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.Login(ctx, privateHost, "ci", "s3cret"); !errors.Is(err, ferry.ErrDenied) {
		t.Fatalf("Login to a blocked registry: %v, want ErrDenied", err)
	}
	if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused login wrote the auth file (stat: %v)", err)
	}
}
