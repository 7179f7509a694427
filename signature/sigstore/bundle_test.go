package sigstore

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/opencontainers/go-digest"
)

// testBundle is a key-signed bundle over a statement with subject sub and
// predicate type pred, in the JSON form cosign 3 writes.
func testBundle(t *testing.T, k *PrivateKey, sub digest.Digest, pred string) []byte {
	t.Helper()
	return dsseOf(t, k, sub, pred).json(map[string]any{"publicKey": map[string]string{"hint": "x"}})
}

func TestVerifyBundle(t *testing.T) {
	k, _ := newKey(t)
	other, _ := newKey(t)
	man := digest.FromString("manifest")
	good := testBundle(t, k, man, cosignSignPredicate)
	if err := VerifyBundle(good, man, Trust{Keys: keysOf(k.Public())}); err != nil {
		t.Fatalf("good bundle: %v", err)
	}
	if err := VerifyBundle(good, man, Trust{Keys: keysOf(other.Public(), k.Public())}); err != nil {
		t.Errorf("good bundle, second key: %v", err)
	}
	for name, c := range map[string]struct {
		b   []byte
		t   Trust
		err error
	}{
		"another key":    {good, Trust{Keys: keysOf(other.Public())}, errdefs.ErrDenied},
		"another digest": {testBundle(t, k, digest.FromString("other"), cosignSignPredicate), Trust{Keys: keysOf(k.Public())}, errdefs.ErrDenied},
		"attestation":    {testBundle(t, k, man, "https://spdx.dev/Document"), Trust{Keys: keysOf(k.Public())}, ErrNotSignature},
		"fulcio asked":   {good, Trust{Keys: keysOf(k.Public()), Fulcio: &Fulcio{}}, errdefs.ErrDenied},
		"not JSON":       {[]byte("{"), Trust{Keys: keysOf(k.Public())}, errdefs.ErrDenied},
		"no envelope":    {fmt.Appendf(nil, `{"mediaType":%q}`, BundleArtifactType), Trust{Keys: keysOf(k.Public())}, errdefs.ErrDenied},
	} {
		if err := VerifyBundle(c.b, man, c.t); !errors.Is(err, c.err) {
			t.Errorf("%s: %v, want %v", name, err, c.err)
		}
	}
}
