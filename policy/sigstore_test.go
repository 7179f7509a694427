package policy

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testsigstore"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/signature/sigstore"
	"github.com/ferrytool/ferry/transports"
	"github.com/opencontainers/go-digest"
)

// TestSigstoreSigned: a sigstore signature by a trusted key, for the
// manifest copied, under an identity the requirement accepts, lets the
// image through, whichever way the keys are given; a signature by another
// key, for another manifest or identity, a simple signing signature alone
// or an attestation alone refuse it with containers/image's reasons.
func TestSigstoreSigned(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	gen := func(name string) (*sigstore.PrivateKey, string, []byte) {
		ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		k, err := sigstore.NewPrivateKey(ec)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := sigstore.MarshalPublicKey(ec.Public())
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name+".pub")
		if err := os.WriteFile(path, pub, 0o644); err != nil {
			t.Fatal(err)
		}
		return k, path, pub
	}
	key, keyPath, keyPEM := gen("trusted")
	other, otherPath, _ := gen("other")
	man := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}`)
	sign := func(k *sigstore.PrivateKey, m []byte, id string) []byte {
		n, err := reference.ParseNamed(id, false)
		if err != nil {
			t.Fatal(err)
		}
		b, err := sigstore.SignManifest(k, m, n)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	good := sign(key, man, "example.com/app:1")
	attestation, _ := sigstore.Signature{MIMEType: "application/vnd.dsse.envelope.v1+json", Payload: []byte("{}")}.Blob()
	src, err := transports.Parse("docker://example.com/app:1")
	if err != nil {
		t.Fatal(err)
	}
	q := strconv.Quote
	b64 := base64.StdEncoding.EncodeToString(keyPEM)
	for _, tc := range []struct {
		name, req string
		sigs      [][]byte
		want      string // "" accepts
	}{
		{"keyPath", `"keyPath":` + q(keyPath), [][]byte{good}, ""},
		{"keyPaths", `"keyPaths":[` + q(otherPath) + `,` + q(keyPath) + `]`, [][]byte{good}, ""},
		{"keyData", `"keyData":` + q(b64), [][]byte{good}, ""},
		{"keyDatas", `"keyDatas":[` + q(b64) + `]`, [][]byte{good}, ""},
		{"after a simple signature and an attestation", `"keyPath":` + q(keyPath), [][]byte{[]byte("\xa3simple"), attestation, good}, ""},
		{"another key", `"keyPath":` + q(otherPath), [][]byte{good}, "cryptographic signature verification failed"},
		{"another manifest", `"keyPath":` + q(keyPath), [][]byte{sign(key, append([]byte(" "), man...), "example.com/app:1")}, "Signature for digest sha256:"},
		{"another tag", `"keyPath":` + q(keyPath), [][]byte{sign(key, man, "example.com/app:2")}, `Signature for identity "example.com/app:2" is not accepted`},
		{"another tag, matchRepository", `"keyPath":` + q(keyPath) + `,"signedIdentity":{"type":"matchRepository"}`, [][]byte{sign(key, man, "example.com/app:2")}, ""},
		{"two refusals", `"keyPath":` + q(keyPath), [][]byte{sign(other, man, "example.com/app:1"), sign(key, man, "example.com/app:2")}, "None of the signatures were accepted, reasons: "},
		{"no signature", `"keyPath":` + q(keyPath), nil, "A signature was required, but no signature exists"},
		{"simple signing and attestation only", `"keyPath":` + q(keyPath), [][]byte{[]byte("\xa3simple"), attestation}, "(1 non-sigstore signatures, 1 sigstore non-signature attachments)"},
		{"missing key file", `"keyPath":` + q(filepath.Join(dir, "none.pub")), [][]byte{good}, "reading a file the policy names"},
		{"rekor key file missing", `"keyPath":` + q(keyPath) + `,"rekorPublicKeyPath":"/nonexistent/r"`, [][]byte{good}, "reading a file the policy names"},
		{"rekor key, no SET", `"keyPath":` + q(keyPath) + `,"rekorPublicKeyPath":` + q(keyPath), [][]byte{good}, "missing dev.sigstore.cosign/bundle annotation"},
	} {
		p, err := Parse([]byte(`{"default":[{"type":"sigstoreSigned",` + tc.req + `}]}`))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		err = NewEvaluator(p, nil).Check(context.Background(), src, copier.Instance{Digest: digest.FromBytes(man), Manifest: man, Signatures: tc.sigs})
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want an error holding %q", tc.name, err, tc.want)
		case tc.want != "" && !errors.Is(err, errdefs.ErrDenied) && !errors.Is(err, errdefs.ErrInvalidArgument):
			t.Errorf("%s: %v is neither ErrDenied nor ErrInvalidArgument", tc.name, err)
		}
	}

	// signedBy does not count sigstore signatures.
	p, err := Parse([]byte(`{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":` + q(keyPath) + `}]}`))
	if err != nil {
		t.Fatal(err)
	}
	err = NewEvaluator(p, nil).Check(context.Background(), src, copier.Instance{Manifest: man, Signatures: [][]byte{good}})
	if err == nil || err.Error() != "A signature was required, but no signature exists" {
		t.Errorf("signedBy over a sigstore signature: %v", err)
	}
}

// TestSigstoreSignedFulcio: policy.json's fulcio (caPath or caData,
// oidcIssuer, subjectEmail) with a Rekor public key accepts a keyless
// signature whose certificate and SET check out, and refuses one for
// another e-mail address.
func TestSigstoreSignedFulcio(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	log, ca := testsigstore.NewRekorLog(t), testsigstore.NewFulcioCA(t)
	caPath, rekorPath := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "rekor.pub")
	if err := os.WriteFile(caPath, ca.PEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rekorPath, log.PublicPEM(t), 0o644); err != nil {
		t.Fatal(err)
	}
	ephemeral, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k, _ := sigstore.NewPrivateKey(ephemeral)
	id, _ := reference.ParseNamed("example.com/app:1", false)
	man := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}`)
	blob, err := sigstore.SignManifest(k, man, id)
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := sigstore.FromBlob(blob)
	now := time.Now()
	cert := ca.Issue(t, ephemeral.Public(), "me@example.com", "https://issuer.example", now.Add(-time.Minute))
	sig.Annotations[sigstore.CertificateAnnotation] = string(cert)
	sig.Annotations[sigstore.BundleAnnotation] = log.SET(t, cert, sig.Annotations[sigstore.SignatureAnnotation], sig.Payload, now)
	keyless, _ := sig.Blob()
	src, _ := transports.Parse("docker://example.com/app:1")
	q := strconv.Quote
	for _, tc := range []struct{ name, fulcio, rekor, want string }{
		{"caPath", `"caPath":` + q(caPath) + `,"oidcIssuer":"https://issuer.example","subjectEmail":"me@example.com"`, `"rekorPublicKeyPath":` + q(rekorPath), ""},
		{"caData", `"caData":` + q(base64.StdEncoding.EncodeToString(ca.PEM)) + `,"oidcIssuer":"https://issuer.example","subjectEmail":"me@example.com"`, `"rekorPublicKeyDatas":[` + q(base64.StdEncoding.EncodeToString(log.PublicPEM(t))) + `]`, ""},
		{"another e-mail", `"caPath":` + q(caPath) + `,"oidcIssuer":"https://issuer.example","subjectEmail":"you@example.com"`, `"rekorPublicKeyPath":` + q(rekorPath), `Required email "you@example.com" not found`},
		{"CA not PEM", `"caPath":` + q(rekorPath) + `,"oidcIssuer":"https://issuer.example","subjectEmail":"me@example.com"`, `"rekorPublicKeyPath":` + q(rekorPath), "error loading Fulcio CA certificates"},
	} {
		p, err := Parse([]byte(`{"default":[{"type":"sigstoreSigned","fulcio":{` + tc.fulcio + `},` + tc.rekor + `}]}`))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		err = NewEvaluator(p, nil).Check(context.Background(), src, copier.Instance{Manifest: man, Signatures: [][]byte{keyless}})
		if (tc.want == "" && err != nil) || (tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want))) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}
