package sigstore

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ferrytool/ferry/internal/testsigstore"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
)

// withAnnotations re-signs nothing: it adds annotations to a signature blob.
func withAnnotations(t *testing.T, blob []byte, add map[string]string) []byte {
	t.Helper()
	s, err := FromBlob(blob)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range add {
		s.Annotations[k] = v
	}
	b, _ := s.Blob()
	return b
}

// TestKeylessFulcioRekor: a signature made with a short-lived key, its
// Fulcio certificate and Rekor's SET is accepted when the certificate
// chains to the trusted CA, was valid when Rekor logged the signature and
// names the issuer and e-mail required; each broken link is refused.
func TestKeylessFulcioRekor(t *testing.T) {
	t.Parallel()
	log, otherLog := testsigstore.NewRekorLog(t), testsigstore.NewRekorLog(t)
	ca, otherCA := testsigstore.NewFulcioCA(t), testsigstore.NewFulcioCA(t)
	ephemeral, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k, _ := NewPrivateKey(ephemeral)
	id, _ := reference.ParseNamed("example.com/app:1", false)
	signed := time.Unix(1.8e9, 0)
	cert := ca.Issue(t, ephemeral.Public(), "me@example.com", "https://issuer.example", signed.Add(-time.Minute))
	blob, err := SignManifest(k, testManifest, id)
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := FromBlob(blob)
	b64 := sig.Annotations[SignatureAnnotation]
	good := withAnnotations(t, blob, map[string]string{CertificateAnnotation: string(cert), BundleAnnotation: log.SET(t, cert, b64, sig.Payload, signed)})
	trust := Trust{Fulcio: &Fulcio{CAs: mustPool(t, ca.PEM), Issuer: "https://issuer.example", Email: "me@example.com"}, RekorKeys: []*ecdsa.PublicKey{&log.Key.PublicKey}}
	if _, err := VerifyManifest(good, testManifest, trust); err != nil {
		t.Fatalf("valid keyless signature refused: %v", err)
	}
	for name, tc := range fulcioRefusals(t, trust, otherCA, otherLog) {
		if _, err := VerifyManifest(good, testManifest, tc.trust); !errors.Is(err, errdefs.ErrDenied) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrDenied holding %q", name, err, tc.want)
		}
	}
	for name, tc := range map[string]struct {
		blob  []byte
		trust Trust
		want  string
	}{
		"logged too late":        {withAnnotations(t, blob, map[string]string{CertificateAnnotation: string(cert), BundleAnnotation: log.SET(t, cert, b64, sig.Payload, signed.Add(time.Hour))}), trust, "verifying the Fulcio certificate failed"},
		"SET of another payload": {withAnnotations(t, blob, map[string]string{CertificateAnnotation: string(cert), BundleAnnotation: log.SET(t, cert, b64, []byte("{}"), signed)}), trust, "payload in Rekor SET does not match"},
		"no certificate":         {withAnnotations(t, blob, map[string]string{BundleAnnotation: log.SET(t, cert, b64, sig.Payload, signed)}), trust, "missing dev.sigstore.cosign/certificate"},
		"no SET":                 {withAnnotations(t, blob, map[string]string{CertificateAnnotation: string(cert)}), trust, "missing dev.sigstore.cosign/bundle"},
		"SET not JSON":           {withAnnotations(t, blob, map[string]string{CertificateAnnotation: string(cert), BundleAnnotation: "{"}), trust, "invalid Rekor SET"},
	} {
		_, err := VerifyManifest(tc.blob, testManifest, tc.trust)
		if !errors.Is(err, errdefs.ErrDenied) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrDenied holding %q", name, err, tc.want)
		}
	}
}

// fulcioRefusals is trust changed in each way that must refuse what it
// accepts (another CA, issuer, e-mail or log, no log), with the words of
// the refusal.
func fulcioRefusals(t *testing.T, trust Trust, otherCA *testsigstore.FulcioCA, otherLog *testsigstore.RekorLog) map[string]struct {
	trust Trust
	want  string
} {
	changed := func(change func(*Trust)) Trust {
		f := *trust.Fulcio
		c := Trust{Fulcio: &f, RekorKeys: trust.RekorKeys}
		change(&c)
		return c
	}
	return map[string]struct {
		trust Trust
		want  string
	}{
		"another CA":     {changed(func(c *Trust) { c.Fulcio.CAs = mustPool(t, otherCA.PEM) }), "verifying the Fulcio certificate failed"},
		"another issuer": {changed(func(c *Trust) { c.Fulcio.Issuer = "https://other.example" }), "Unexpected Fulcio OIDC issuer"},
		"another e-mail": {changed(func(c *Trust) { c.Fulcio.Email = "you@example.com" }), `Required email "you@example.com" not found`},
		"another Rekor":  {changed(func(c *Trust) { c.RekorKeys = []*ecdsa.PublicKey{&otherLog.Key.PublicKey} }), "verification of Rekor SET failed"},
		"no Rekor key":   {changed(func(c *Trust) { c.RekorKeys = nil }), "only with a Rekor public key"},
	}
}

// TestKeyWithRekor: with Rekor keys beside public keys, a signature needs
// a SET recording the very key that verifies it.
func TestKeyWithRekor(t *testing.T) {
	t.Parallel()
	log := testsigstore.NewRekorLog(t)
	k, pubPEM := newKey(t)
	_, otherPEM := newKey(t)
	id, _ := reference.ParseNamed("example.com/app:1", false)
	blob, _ := SignManifest(k, testManifest, id)
	sig, _ := FromBlob(blob)
	b64 := sig.Annotations[SignatureAnnotation]
	good := withAnnotations(t, blob, map[string]string{BundleAnnotation: log.SET(t, pubPEM, b64, sig.Payload, time.Now())})
	rekor := []*ecdsa.PublicKey{&log.Key.PublicKey}
	if _, err := VerifyManifest(good, testManifest, Trust{Keys: keysOf(mustPub(t, otherPEM), mustPub(t, pubPEM)), RekorKeys: rekor}); err != nil {
		t.Errorf("key + Rekor: %v", err)
	}
	for name, tc := range map[string]struct {
		blob []byte
		want string
	}{
		"no SET":                   {blob, "missing dev.sigstore.cosign/bundle"},
		"SET for another key":      {withAnnotations(t, blob, map[string]string{BundleAnnotation: log.SET(t, otherPEM, b64, sig.Payload, time.Now())}), "publicKey in Rekor SET does not match"},
		"SET of another signature": {withAnnotations(t, blob, map[string]string{BundleAnnotation: log.SET(t, pubPEM, base64.StdEncoding.EncodeToString([]byte("x")), sig.Payload, time.Now())}), "signature in Rekor SET does not match"},
	} {
		_, err := VerifyManifest(tc.blob, testManifest, Trust{Keys: keysOf(mustPub(t, pubPEM)), RekorKeys: rekor})
		if !errors.Is(err, errdefs.ErrDenied) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrDenied holding %q", name, err, tc.want)
		}
	}
}

func mustPool(t *testing.T, b []byte) *x509.CertPool {
	t.Helper()
	p, err := ParseCertificatePool(b)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCanonicalString: RFC 8785's string form (only '"', '\\' and control
// characters escaped; HTML characters and non-ASCII left as they are,
// unlike encoding/json).
func TestCanonicalString(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`a"b\c`:    `"a\"b\\c"`,
		"\n\t\x01": `"\n\t\u0001"`,
		"<&>é€":    `"<&>é€"`,
	} {
		var b bytes.Buffer
		canonicalString(&b, in)
		if b.String() != want {
			t.Errorf("canonicalString(%q) = %s, want %s", in, b.String(), want)
		}
	}
}

// TestPKI: a certificate from an organisation's own CA, without Rekor,
// is accepted when it chains to the roots and names the e-mail or host
// required.
func TestPKI(t *testing.T) {
	t.Parallel()
	ca, otherCA := testsigstore.NewFulcioCA(t), testsigstore.NewFulcioCA(t)
	signer, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k, _ := NewPrivateKey(signer)
	id, _ := reference.ParseNamed("example.com/app:1", false)
	blob, err := SignManifest(k, testManifest, id)
	if err != nil {
		t.Fatal(err)
	}
	cert := ca.Issue(t, signer.Public(), "builder@example.com", "https://unused.example", time.Now().Add(-time.Minute))
	signed := withAnnotations(t, blob, map[string]string{CertificateAnnotation: string(cert)})
	if _, err := VerifyManifest(signed, testManifest, Trust{PKI: &PKI{Roots: mustPool(t, ca.PEM), Email: "builder@example.com"}}); err != nil {
		t.Fatalf("PKI signature refused: %v", err)
	}
	for name, tc := range map[string]struct {
		blob []byte
		pki  PKI
		want string
	}{
		"another CA":     {signed, PKI{Roots: mustPool(t, otherCA.PEM), Email: "builder@example.com"}, "verifying the certificate failed"},
		"another e-mail": {signed, PKI{Roots: mustPool(t, ca.PEM), Email: "x@example.com"}, "Required email"},
		"a hostname":     {signed, PKI{Roots: mustPool(t, ca.PEM), Hostname: "build.example.com"}, "Unexpected subject hostname"},
		"no certificate": {blob, PKI{Roots: mustPool(t, ca.PEM), Email: "builder@example.com"}, "missing dev.sigstore.cosign/certificate"},
	} {
		_, err := VerifyManifest(tc.blob, testManifest, Trust{PKI: &tc.pki})
		if !errors.Is(err, errdefs.ErrDenied) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrDenied holding %q", name, err, tc.want)
		}
	}
}
