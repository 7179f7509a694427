package docker_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferrytool/ferry/internal/testenv"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/dir"
)

// TestSkopeoLookasideInterop: skopeo reads the signatures ferry pushed to
// a file:// lookaside (its dir: output has them as signature-N, byte for
// byte), and ferry reads those skopeo pushed to a lookaside-staging. Both
// use the same registries.d files.
func TestSkopeoLookasideInterop(t *testing.T) {
	testenv.NeedCommand(t, "skopeo")
	t.Parallel()
	ctx := context.Background()
	reg := testregistry.New(t, testregistry.Options{})

	// ferry → skopeo.
	store := t.TempDir()
	cfg, cfgDir := registriesD(t, "default-docker:\n  lookaside: file://"+store+"\n")
	o := opts(reg)
	o.RegistriesD = cfg
	img := testimage.New(testimage.Options{Seed: 11})
	_, dst := open(t, ref(t, reg, "ferry/app:1"), o)
	pushSigned(t, dst, img, testSigs)
	out := filepath.Join(t.TempDir(), "out")
	skopeo(t, "--registries.d", cfgDir, "copy", "--src-tls-verify=false", "docker://"+reg.Ref("ferry/app:1"), "dir:"+out)
	for i, want := range testSigs {
		b, err := os.ReadFile(filepath.Join(out, "signature-"+string(rune('1'+i))))
		if err != nil || !bytes.Equal(b, want) {
			t.Errorf("skopeo's signature-%d: %q, %v; want %q", i+1, b, err, want)
		}
	}

	// skopeo → ferry: skopeo copies a dir: image's signatures to the
	// registry, writing them to the lookaside-staging.
	signed := filepath.Join(t.TempDir(), "signed")
	d, err := dir.OpenDestination(ctx, &dir.Reference{Path: signed}, &transport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	img2 := testimage.New(testimage.Options{Seed: 12, Docker: true})
	if err := img2.Write(ctx, d); err != nil {
		t.Fatal(err)
	}
	d.Close()
	for i, sig := range testSigs {
		if err := os.WriteFile(filepath.Join(signed, "signature-"+string(rune('1'+i))), sig, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	staging := t.TempDir()
	_, skopeoDir := registriesD(t, "default-docker:\n  lookaside: http://127.0.0.1:1/published-elsewhere\n  lookaside-staging: file://"+staging+"\n")
	skopeo(t, "--registries.d", skopeoDir, "copy", "--dest-tls-verify=false", "dir:"+signed, "docker://"+reg.Ref("skopeo/app:1"))
	o2 := opts(reg)
	o2.RegistriesD, _ = registriesD(t, "default-docker:\n  lookaside: file://"+staging+"\n")
	src, _ := open(t, ref(t, reg, "skopeo/app:1"), o2)
	if got := readSigs(t, src, nil); !sigsEqual(got, testSigs) {
		t.Errorf("ferry read %q from skopeo's lookaside, want %q", got, testSigs)
	}
}

// TestSkopeoSignaturesAPIInterop: through the signatures API extension
// (testregistry.SignatureExtension, a fake of an API Debian's registry
// does not offer), skopeo reads what ferry stored and ferry reads what
// skopeo stored: the wire format agrees with containers/image's. The
// registries.d both use names a lookaside that is never touched.
func TestSkopeoSignaturesAPIInterop(t *testing.T) {
	testenv.NeedCommand(t, "skopeo")
	t.Parallel()
	ext := &testregistry.SignatureExtension{}
	reg := testregistry.New(t, testregistry.Options{Wrap: ext.Wrap})
	unused := t.TempDir()
	cfg, cfgDir := registriesD(t, "default-docker:\n  lookaside: file://"+unused+"\n")
	o := opts(reg)
	o.RegistriesD = cfg

	img := testimage.New(testimage.Options{Seed: 13})
	_, dst := open(t, ref(t, reg, "ferry/app:1"), o)
	pushSigned(t, dst, img, testSigs)
	out := filepath.Join(t.TempDir(), "out")
	skopeo(t, "--registries.d", cfgDir, "copy", "--src-tls-verify=false", "docker://"+reg.Ref("ferry/app:1"), "dir:"+out)
	for i, want := range testSigs {
		b, err := os.ReadFile(filepath.Join(out, "signature-"+string(rune('1'+i))))
		if err != nil || !bytes.Equal(b, want) {
			t.Errorf("skopeo's signature-%d: %q, %v; want %q", i+1, b, err, want)
		}
	}

	// skopeo stores out's signatures under another name; ferry reads them.
	skopeo(t, "--registries.d", cfgDir, "copy", "--dest-tls-verify=false", "dir:"+out, "docker://"+reg.Ref("skopeo/app:1"))
	if got := ext.Signatures("skopeo/app", img.Digest.String()); !sigsEqual(got, testSigs) {
		t.Fatalf("skopeo stored %q through the API, want %q", got, testSigs)
	}
	src, _ := open(t, ref(t, reg, "skopeo/app:1"), o)
	if got := readSigs(t, src, nil); !sigsEqual(got, testSigs) {
		t.Errorf("ferry read %q, want %q", got, testSigs)
	}
	if entries, _ := os.ReadDir(unused); len(entries) != 0 {
		t.Errorf("the lookaside was written: %v", entries)
	}
}
