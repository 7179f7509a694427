package policy

import (
	"errors"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
)

// FuzzParse: any bytes give a policy or an ErrInvalidArgument, never a
// panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"default":[{"type":"insecureAcceptAnything"}]}`))
	f.Add([]byte(`{"default":[{"type":"reject"}],"transports":{"docker":{"example.com":[{"type":"signedBy","keyType":"GPGKeys","keyData":"AAAA","signedIdentity":{"type":"remapIdentity","prefix":"a.com","signedPrefix":"b.com"}}]}}}`))
	f.Add([]byte(`{"default":[{"type":"sigstoreSigned","fulcio":{"caPath":"/c","oidcIssuer":"i","subjectEmail":"e"},"rekorPublicKeyData":"AA"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil && !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Fatalf("error %v does not wrap ErrInvalidArgument", err)
		}
		if err == nil && len(p.Default) == 0 {
			t.Fatal("a policy without default requirements was accepted")
		}
	})
}
