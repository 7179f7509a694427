package docker_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/registriesd"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
)

// Signatures as skopeo stores them: opaque bytes to the transport.
var testSigs = [][]byte{[]byte("\xa3\x01first signature"), []byte("\xa3\x02second, longer signature")}

// registriesD writes yaml as the only file of a new registries.d
// directory and loads it.
func registriesD(t *testing.T, yaml string) (*registriesd.Config, string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "test.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := registriesd.Load(registriesd.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return c, dir
}

func sigsEqual(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// pushSigned writes img to dst, then its signatures.
func pushSigned(t *testing.T, dst transport.Destination, img *testimage.Image, sigs [][]byte) {
	t.Helper()
	ctx := context.Background()
	if !dst.Capabilities().Signatures {
		t.Fatal("the destination says it cannot store signatures")
	}
	if err := img.Write(ctx, dst); err != nil {
		t.Fatal(err)
	}
	if err := dst.(transport.SignatureDestination).PutSignatures(ctx, sigs, nil); err != nil {
		t.Fatal(err)
	}
}

func readSigs(t *testing.T, src transport.Source, instance *digest.Digest) [][]byte {
	t.Helper()
	got, err := src.(transport.SignatureSource).Signatures(context.Background(), instance)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestLookasideSignatures: signatures go to the file:// lookaside
// registries.d names, at REPO@sha256=HEX/signature-N, for the top manifest
// and for each instance of an index, and are read back in order.
func TestLookasideSignatures(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{})
	store := t.TempDir()
	o := opts(reg)
	o.RegistriesD, _ = registriesD(t, "docker:\n  "+reg.Host()+"/team:\n    lookaside: file://"+store+"\n")
	img := testimage.New(testimage.Options{})
	_, dst := open(t, ref(t, reg, "team/app:1"), o)
	pushSigned(t, dst, img, testSigs)
	dir := filepath.Join(store, "team", "app@sha256="+img.Digest.Encoded())
	for i, want := range testSigs {
		b, err := os.ReadFile(filepath.Join(dir, "signature-"+string(rune('1'+i))))
		if err != nil || !bytes.Equal(b, want) {
			t.Errorf("signature-%d: %q, %v; want %q", i+1, b, err, want)
		}
	}
	// A new source (fetching the manifest by tag to learn its digest).
	src, _ := open(t, ref(t, reg, "team/app:1"), o)
	if got := readSigs(t, src, nil); !sigsEqual(got, testSigs) {
		t.Errorf("read back %q, want %q", got, testSigs)
	}
	// By digest, without fetching anything from the registry.
	src, _ = open(t, ref(t, reg, "team/app@"+img.Digest.String()), o)
	if got := readSigs(t, src, nil); !sigsEqual(got, testSigs) {
		t.Errorf("by digest: read back %q, want %q", got, testSigs)
	}

	// An index: a signature per instance.
	ix := testimage.NewIndex(false, linuxAMD64, linuxARM64)
	src, dst = open(t, ref(t, reg, "team/multi:1"), o)
	if err := ix.Write(context.Background(), dst); err != nil {
		t.Fatal(err)
	}
	for _, im := range ix.Images {
		d := im.Digest
		if err := dst.(transport.SignatureDestination).PutSignatures(context.Background(), [][]byte{[]byte("sig of " + im.Platform.Architecture)}, &d); err != nil {
			t.Fatal(err)
		}
	}
	for _, im := range ix.Images {
		d := im.Digest
		if got := readSigs(t, src, &d); len(got) != 1 || string(got[0]) != "sig of "+im.Platform.Architecture {
			t.Errorf("instance %s: %q", im.Platform.Architecture, got)
		}
	}
	if got := readSigs(t, src, nil); len(got) != 0 {
		t.Errorf("the index has signatures %q", got)
	}
}

// TestHTTPLookaside: the usual deployment, signatures written to a
// lookaside-staging directory that a web server publishes as the
// lookaside; readers fetch them over HTTP.
func TestHTTPLookaside(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{})
	staging := t.TempDir()
	web := httptest.NewServer(http.FileServer(http.Dir(staging)))
	t.Cleanup(web.Close)
	o := opts(reg)
	o.RegistriesD, _ = registriesD(t, "default-docker:\n  lookaside: "+web.URL+"/sigs\n  lookaside-staging: file://"+staging+"/sigs\n")
	img := testimage.New(testimage.Options{Seed: 3})
	_, dst := open(t, ref(t, reg, "app:1"), o)
	pushSigned(t, dst, img, testSigs)
	src, _ := open(t, ref(t, reg, "app:1"), o)
	if got := readSigs(t, src, nil); !sigsEqual(got, testSigs) {
		t.Errorf("read over HTTP %q, want %q", got, testSigs)
	}
}

// TestSignaturesAPIExtension: where the registry offers the signatures API
// extension (testregistry.SignatureExtension: a fake of an API Debian's
// registry does not offer), it takes precedence over the lookaside, for
// writing and reading, even with an http lookaside that cannot be written.
func TestSignaturesAPIExtension(t *testing.T) {
	t.Parallel()
	ext := &testregistry.SignatureExtension{}
	reg := testregistry.New(t, testregistry.Options{Wrap: ext.Wrap})
	store := t.TempDir()
	for _, yaml := range []string{
		"default-docker:\n  lookaside: file://" + store + "\n",
		"default-docker:\n  lookaside: http://127.0.0.1:1/never-used\n",
	} {
		o := opts(reg)
		o.RegistriesD, _ = registriesD(t, yaml)
		img := testimage.New(testimage.Options{Seed: 4})
		_, dst := open(t, ref(t, reg, "app:1"), o)
		pushSigned(t, dst, img, testSigs)
		if got := ext.Signatures("app", img.Digest.String()); !sigsEqual(got, testSigs) {
			t.Errorf("%s: the registry holds %q, want %q", yaml, got, testSigs)
		}
		src, _ := open(t, ref(t, reg, "app:1"), o)
		if got := readSigs(t, src, nil); !sigsEqual(got, testSigs) {
			t.Errorf("%s: read back %q", yaml, got)
		}
	}
	if entries, _ := os.ReadDir(store); len(entries) != 0 {
		t.Errorf("the lookaside was written: %v", entries)
	}
}

// TestNowhereToWriteSignatures: a registry without the API extension and an
// http(s) lookaside without lookaside-staging cannot store signatures: the
// destination says so before anything is written, and PutSignatures
// refuses with the sentence saying what to configure.
func TestNowhereToWriteSignatures(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{})
	o := opts(reg)
	o.RegistriesD, _ = registriesD(t, "default-docker:\n  lookaside: https://sigs.example/store\n")
	img := testimage.New(testimage.Options{Seed: 5})
	_, dst := open(t, ref(t, reg, "app:1"), o)
	if dst.Capabilities().Signatures {
		t.Fatal("Capabilities().Signatures is set with nowhere to write")
	}
	if err := img.Write(context.Background(), dst); err != nil {
		t.Fatal(err)
	}
	err := dst.(transport.SignatureDestination).PutSignatures(context.Background(), testSigs, nil)
	if !errors.Is(err, errdefs.ErrNotSupported) || !strings.Contains(err.Error(), "lookaside-staging") {
		t.Errorf("PutSignatures = %v, want ErrNotSupported naming lookaside-staging", err)
	}
}

// TestMalformedRegistriesD: a registries.d that does not parse fails the
// opening of a registry image with the file's name.
func TestMalformedRegistriesD(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{})
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte("docker: [unclosed"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := opts(reg)
	o.RegistriesD = registriesd.Lazy(registriesd.Options{Dir: dir})
	r := with(t, o, ref(t, reg, "app:1"))
	_, err := r.NewSource(context.Background(), &transport.Options{})
	if !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), "bad.yaml") {
		t.Errorf("NewSource = %v, want ErrInvalidArgument naming bad.yaml", err)
	}
	_, err = r.NewDestination(context.Background(), &transport.Options{})
	if !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("NewDestination = %v", err)
	}
}

// TestDeleteRemovesLookasideSignatures: deleting an image removes its
// signatures from a file:// lookaside, as skopeo delete does.
func TestDeleteRemovesLookasideSignatures(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{})
	store := t.TempDir()
	o := opts(reg)
	o.RegistriesD, _ = registriesD(t, "default-docker:\n  lookaside: file://"+store+"\n")
	img := testimage.New(testimage.Options{Seed: 6})
	_, dst := open(t, ref(t, reg, "app:1"), o)
	pushSigned(t, dst, img, testSigs)
	sigDir := filepath.Join(store, "app@sha256="+img.Digest.Encoded())
	if entries, _ := os.ReadDir(sigDir); len(entries) != 2 {
		t.Fatalf("lookaside holds %v before the delete", entries)
	}
	if err := with(t, o, ref(t, reg, "app:1")).DeleteImage(context.Background(), &transport.Options{}); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(sigDir); len(entries) != 0 {
		t.Errorf("lookaside holds %v after the delete", entries)
	}
}
