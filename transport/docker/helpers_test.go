package docker_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/registry/auth"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/docker"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ref parses "HOST/name" for reg.
func ref(t *testing.T, reg *testregistry.Registry, name string) *docker.Reference {
	t.Helper()
	r, err := docker.ParseReference(reg.Ref(name))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// opts are the transport configuration to reach reg anonymously: its CA
// when it has one, plain HTTP allowed otherwise (skopeo's
// --tls-verify=false). The hint record is off, so tests never write to
// the user's cache; the tests of hints name a file of their own.
func opts(reg *testregistry.Registry) *docker.Config {
	c := &docker.Config{CertDir: reg.CertDir(), Auth: auth.Settings{NoCreds: true}, NoRegistryHints: true}
	if reg.CertDir() == "" {
		c.Insecure = true
	}
	return c
}

// with is r parsed by the docker transport configured by c.
func with(t *testing.T, c *docker.Config, r *docker.Reference) *docker.Reference {
	t.Helper()
	out, err := docker.New(*c).ParseReference(r.String())
	if err != nil {
		t.Fatal(err)
	}
	return out.(*docker.Reference)
}

// repoRef is the reference of repository n (its tag ignored where used).
func repoRef(t *testing.T, c *docker.Config, n reference.Named) *docker.Reference {
	t.Helper()
	r, err := docker.NewReference(n)
	if err != nil {
		t.Fatal(err)
	}
	return with(t, c, r)
}

// open opens r, configured by c, as a destination and a source.
func open(t *testing.T, r *docker.Reference, c *docker.Config) (transport.Source, transport.Destination) {
	t.Helper()
	ctx := context.Background()
	r = with(t, c, r)
	o := &transport.Options{}
	dst, err := r.NewDestination(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dst.Close() })
	src, err := r.NewSource(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src, dst
}

// checkImage reads img back through src: manifest (by instance when set)
// and every blob, byte for byte.
func checkImage(t *testing.T, src transport.Source, img *testimage.Image, instance bool) {
	t.Helper()
	ctx := context.Background()
	var inst *digest.Digest
	if instance {
		inst = &img.Digest
	}
	b, mt, err := src.Manifest(ctx, inst)
	if err != nil {
		t.Fatalf("Manifest: %v", err)
	}
	if !bytes.Equal(b, img.Manifest) || mt != img.MediaType {
		t.Fatalf("Manifest: got %q %s, want %q", mt, b, img.MediaType)
	}
	for _, d := range append([]ocispec.Descriptor{img.Config}, img.Layers...) {
		rc, err := src.Blob(ctx, d)
		if err != nil {
			t.Fatalf("Blob %s: %v", d.Digest, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, img.Blobs[d.Digest]) {
			t.Fatalf("Blob %s: %d bytes, err %v", d.Digest, len(got), err)
		}
	}
}
