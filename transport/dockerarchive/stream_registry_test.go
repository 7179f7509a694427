package dockerarchive_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/docker"
)

// TestLegacyStdinToRegistry: `docker save` of Docker 20.10 (ID/layer.tar
// uncompressed, manifest.json last) piped into a copy to a registry.
func TestLegacyStdinToRegistry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg := testregistry.New(t, testregistry.Options{})
	l := newLegacy(t, 61, "app:1")
	raw := legacyArchive(t, l)
	dst, err := docker.ParseReference(reg.Ref("app:1"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = copier.Copy(ctx, parse(t, "-"), dst, copier.Options{
		Source:      transport.Options{Stdin: bytes.NewReader(raw), TmpDir: t.TempDir()},
		Destination: transport.Options{Insecure: true},
	})
	if err != nil {
		t.Fatal(err)
	}
}
