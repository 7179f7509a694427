package registry

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/registry/auth"
)

// TestSystemCertDirs finds a registry's CA and client certificate in a
// certs.d/HOST directory when no CertDir is given (the directories are
// pointed at a temporary tree: /etc is not the test's to write). Not
// parallel: it swaps the package's list of directories.
func TestSystemCertDirs(t *testing.T) {
	reg := testregistry.New(t, testregistry.Options{ClientCerts: true})
	reg.Push(t, "app", "1", testimage.New(testimage.Options{}))
	root := t.TempDir()
	hostDir := filepath.Join(root, "docker-certs.d", reg.Host())
	if err := os.MkdirAll(hostDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"ca.crt", "client.cert", "client.key"} {
		b, err := os.ReadFile(filepath.Join(reg.CertDir(), f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(hostDir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	saved := systemCertDirs
	t.Cleanup(func() { systemCertDirs = saved })
	systemCertDirs = []string{filepath.Join(root, "containers-certs.d"), filepath.Join(root, "docker-certs.d")}

	n, _ := reference.ParseNamed(reg.Host()+"/app", false)
	c, err := New(context.Background(), n, &Options{Auth: auth.Settings{NoCreds: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, _, _, err := c.GetManifest(context.Background(), "app", "1"); err != nil {
		t.Fatalf("with certs.d/%s: %v", reg.Host(), err)
	}

	// The user's $XDG_CONFIG_HOME/containers/certs.d comes first: the
	// same files there, and a broken copy in the system directory that
	// must not be read.
	userDir := filepath.Join(root, "xdg", "containers", "certs.d", reg.Host())
	if err := os.MkdirAll(filepath.Dir(userDir), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(hostDir, userDir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(hostDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(hostDir, "ca.crt"), []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(root, "xdg"))
	c2, err := New(context.Background(), n, &Options{Auth: auth.Settings{NoCreds: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if _, _, _, err := c2.GetManifest(context.Background(), "app", "1"); err != nil {
		t.Fatalf("with $XDG_CONFIG_HOME/containers/certs.d/%s: %v", reg.Host(), err)
	}
	hostDir = userDir

	// A key without its certificate is a configuration error worth saying.
	if err := os.Remove(filepath.Join(hostDir, "client.cert")); err != nil {
		t.Fatal(err)
	}
	if _, err := New(context.Background(), n, &Options{Auth: auth.Settings{NoCreds: true}}); err == nil {
		t.Fatal("a client.key without client.cert was accepted")
	}
}
