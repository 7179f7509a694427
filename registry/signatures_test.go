package registry_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/registry"
	"github.com/opencontainers/go-digest"
)

// TestSignaturesExtension: a registry announcing
// X-Registry-Supports-Signatures (testregistry.SignatureExtension, a fake
// of an API Debian's registry does not offer, behind token auth) lists and
// takes signatures for a manifest; a signature already there byte for
// byte is not added again; entries of another type are skipped.
func TestSignaturesExtension(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ext := &testregistry.SignatureExtension{}
	reg := testregistry.New(t, testregistry.Options{Token: true, Wrap: ext.Wrap})
	c := newClient(t, reg, "app", nil, registry.ForPush())
	img := testimage.New(testimage.Options{})
	pushImage(t, c, "app", "1", img)
	dg := digest.FromBytes(img.Manifest)

	ok, err := c.SignaturesAPI(ctx)
	if err != nil || !ok {
		t.Fatalf("SignaturesAPI = %v, %v; want true", ok, err)
	}
	if got, err := c.GetSignatures(ctx, "app", dg); err != nil || len(got) != 0 {
		t.Fatalf("no signatures yet: %q, %v", got, err)
	}
	a, b, cc := []byte("\xa3sig a"), []byte("\xa3sig b"), []byte("\x00\xffsig c")
	if err := c.PutSignatures(ctx, "app", dg, [][]byte{a, b}); err != nil {
		t.Fatal(err)
	}
	if err := c.PutSignatures(ctx, "app", dg, [][]byte{b, cc}); err != nil {
		t.Fatal(err)
	}
	ext.Add("app", dg.String(), testregistry.ExtensionSignature{Version: 2, Name: dg.String() + "@x", Type: "cosign", Content: []byte("other")})
	got, err := c.GetSignatures(ctx, "app", dg)
	want := [][]byte{a, b, cc}
	if err != nil || len(got) != len(want) {
		t.Fatalf("GetSignatures = %q, %v; want %q", got, err, want)
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("signature %d = %q, want %q", i, got[i], want[i])
		}
	}
	if n := len(ext.Signatures("app", dg.String())); n != 4 {
		t.Errorf("the registry holds %d signatures, want 4 (b not added twice)", n)
	}

	_, err = c.GetSignatures(ctx, "app", digest.FromString("no such manifest"))
	if !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("signatures of an unknown manifest: got %v, want ErrNotFound", err)
	}
	if _, err := c.GetSignatures(ctx, "app", "sha256:../x"); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("malformed digest: got %v", err)
	}
}

// TestNoSignaturesExtension: the distribution registry does not announce
// the extension.
func TestNoSignaturesExtension(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{})
	c := newClient(t, reg, "app", nil)
	ok, err := c.SignaturesAPI(context.Background())
	if err != nil || ok {
		t.Errorf("SignaturesAPI = %v, %v; want false", ok, err)
	}
}
