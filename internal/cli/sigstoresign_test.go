package cli

import (
	"crypto"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/ferrytool/ferry/signature/sigstore"
)

// TestCopySigstoreSign: copy --sign-by-sigstore-private-key and
// --sign-by-sigstore write a sigstore signature that verifies with the
// public key for the manifest written; a sigstoreSigned policy accepts
// the signed image and refuses it under another key; a wrong passphrase,
// a key file of another kind or a keyless parameter file stop the copy
// before anything is written.
func TestCopySigstoreSign(t *testing.T) {
	t.Parallel()
	f := newOCIFixture(t)
	dir := t.TempDir()
	kp, err := sigstore.GenerateKeyPair([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	keyPath := writeTestFile(t, filepath.Join(dir, "k.private"), string(kp.Private))
	pubPath := writeTestFile(t, filepath.Join(dir, "k.pub"), string(kp.Public))
	pass := writeTestFile(t, filepath.Join(dir, "pass"), "pw\n")
	wrong := writeTestFile(t, filepath.Join(dir, "wrong"), "nope\n")
	params := writeTestFile(t, filepath.Join(dir, "params.yaml"), "privateKeyFile: "+keyPath+"\nprivateKeyPassphraseFile: "+pass+"\n")
	keyless := writeTestFile(t, filepath.Join(dir, "keyless.yaml"), "fulcio:\n  fulcioURL: https://fulcio.example\n  oidcMode: interactive\nrekorURL: https://rekor.example\n")

	for _, how := range [][]string{
		{"--sign-by-sigstore-private-key", keyPath, "--sign-passphrase-file", pass},
		{"--sign-by-sigstore", params},
	} {
		signed := filepath.Join(t.TempDir(), "signed")
		args := append(append([]string{"copy", "-q", "--sign-identity", "example.com/app:1"}, how...), f.single, "dir:"+signed)
		if _, stderr, code := runCLI(t, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", how, code, stderr)
		}
		sig, err := os.ReadFile(filepath.Join(signed, "signature-1"))
		if err != nil {
			t.Fatal(err)
		}
		man, _ := os.ReadFile(filepath.Join(signed, "manifest.json"))
		pub, _ := sigstore.ParsePublicKey(kp.Public)
		p, err := sigstore.VerifyManifest(sig, man, sigstore.Trust{Keys: []crypto.PublicKey{pub}})
		if err != nil || p.DockerReference != "example.com/app:1" {
			t.Fatalf("%v: signature: %+v, %v", how, p, err)
		}
	}

	signed := filepath.Join(t.TempDir(), "signed")
	if _, stderr, code := runCLI(t, "copy", "-q", "--sign-identity", "example.com/app:1", "--sign-by-sigstore-private-key", keyPath, "--sign-passphrase-file", pass, f.single, "dir:"+signed); code != 0 {
		t.Fatal(stderr)
	}
	policy := func(key string) string {
		return writeTestFile(t, filepath.Join(t.TempDir(), "policy.json"), `{"default":[{"type":"reject"}],"transports":{"dir":{"":[{"type":"sigstoreSigned","keyPath":`+strconv.Quote(key)+`,"signedIdentity":{"type":"exactReference","dockerReference":"example.com/app:1"}}]}}}`)
	}
	if _, stderr, code := runCLI(t, "--policy", policy(pubPath), "copy", "-q", "dir:"+signed, "dir:"+filepath.Join(t.TempDir(), "verified")); code != 0 {
		t.Errorf("policy with the signing key refused: %s", stderr)
	}
	other, _ := sigstore.GenerateKeyPair(nil)
	otherPub := writeTestFile(t, filepath.Join(dir, "other.pub"), string(other.Public))
	refusedDst := filepath.Join(t.TempDir(), "refused")
	_, stderr, code := runCLI(t, "--policy", policy(otherPub), "copy", "-q", "dir:"+signed, "dir:"+refusedDst)
	if code != 1 {
		t.Errorf("policy with another key: exit %d", code)
	}
	wantOneLine(t, stderr, "Source image rejected: cryptographic signature verification failed")

	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"wrong passphrase": {[]string{"--sign-by-sigstore-private-key", keyPath, "--sign-passphrase-file", wrong}, "the passphrase is wrong"},
		"public key":       {[]string{"--sign-by-sigstore-private-key", pubPath, "--sign-passphrase-file", pass}, "unsupported PEM block"},
		"keyless params":   {[]string{"--sign-by-sigstore", keyless}, "keyless signing (fulcio)"},
	} {
		dst := filepath.Join(t.TempDir(), "out")
		args := append(append([]string{"copy", "-q", "--sign-identity", "example.com/app:1"}, tc.args...), f.single, "dir:"+dst)
		_, stderr, code := runCLI(t, args...)
		if code != 1 {
			t.Errorf("%s: exit %d", name, code)
		}
		wantOneLine(t, stderr, tc.want)
		if _, err := os.Stat(dst); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: destination written", name)
		}
	}
	if _, err := os.Stat(refusedDst); !errors.Is(err, fs.ErrNotExist) {
		t.Error("refused copy wrote its destination")
	}
}
