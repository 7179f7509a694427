// Package testsigstore stands in for the network services of keyless
// sigstore signing in tests: a Rekor log that signs entries (SETs) and a
// Fulcio CA that issues code-signing certificates, as the real ones do.
// The verification code they test was checked by hand against real
// Rekor SETs and Fulcio certificates (containers/image's fixtures), and
// e2e/sigstore_keyless_test.go has cosign verify (given TrustedRoot)
// accept what they make: SETs, bundle entries, inclusion proofs and
// checkpoints.
package testsigstore

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"testing"
	"time"
)

// Fulcio's OIDC issuer extensions (v1: raw bytes, v2: a UTF8String).
var (
	oidIssuerV1 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1}
	oidIssuerV2 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}
)

// RekorLog signs entries with its key, as a Rekor log does.
type RekorLog struct{ Key *ecdsa.PrivateKey }

// NewRekorLog makes a log with a new P-256 key.
func NewRekorLog(t testing.TB) *RekorLog {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &RekorLog{Key: k}
}

// PublicPEM is the log's public key, PKIX PEM.
func (l *RekorLog) PublicPEM(t testing.TB) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(l.Key.Public())
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// SET returns the signed entry timestamp Rekor gives for a hashedrekord
// 0.0.1 entry of b64sig over payload by keyOrCert (PEM), integrated at at,
// in the form of cosign's dev.sigstore.cosign/bundle annotation.
func (l *RekorLog) SET(t testing.TB, keyOrCert []byte, b64sig string, payload []byte, at time.Time) string {
	t.Helper()
	sig, err := base64.StdEncoding.DecodeString(b64sig)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(payload)
	canonical, setSig := l.promise(t, HashedRekordBody(keyOrCert, sig, sum[:]), at)
	out, _ := json.Marshal(map[string]any{"SignedEntryTimestamp": setSig, "Payload": json.RawMessage(canonical)})
	return string(out)
}

// logIndex is where every entry of a test log sits.
const logIndex = 42

// promise is the canonical JSON of an entry with body integrated at at,
// and the log's signature over it (the SET).
func (l *RekorLog) promise(t testing.TB, body []byte, at time.Time) (canonical, set []byte) {
	t.Helper()
	entry := map[string]any{"body": base64.StdEncoding.EncodeToString(body), "integratedTime": at.Unix(), "logIndex": logIndex, "logID": hex.EncodeToString(l.keyID(t))}
	canonical, _ = json.Marshal(entry) // keys sorted, values needing no escapes: RFC 8785's form
	h := sha256.Sum256(canonical)
	set, err := ecdsa.SignASN1(rand.Reader, l.Key, h[:])
	if err != nil {
		t.Fatal(err)
	}
	return canonical, set
}

// keyID is the log's ID: the SHA-256 of its public key (PKIX DER).
func (l *RekorLog) keyID(t testing.TB) []byte {
	der, err := x509.MarshalPKIXPublicKey(l.Key.Public())
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	return sum[:]
}

// FulcioCA issues certificates as Fulcio does.
type FulcioCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	// PEM is the CA certificate.
	PEM []byte
}

// NewFulcioCA makes a self-signed CA.
func NewFulcioCA(t testing.TB) *FulcioCA {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test fulcio"}, NotBefore: time.Unix(1e9, 0), NotAfter: time.Unix(3e9, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &FulcioCA{cert: c, key: k, PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// Issue returns a ten-minute code-signing certificate (PEM) for pub,
// valid from from, with email as SAN and issuer in both issuer extensions.
func (ca *FulcioCA) Issue(t testing.TB, pub crypto.PublicKey, email, issuer string, from time.Time) []byte {
	t.Helper()
	v2, err := asn1.Marshal(issuer)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), NotBefore: from, NotAfter: from.Add(10 * time.Minute),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}, EmailAddresses: []string{email},
		ExtraExtensions: []pkix.Extension{{Id: oidIssuerV1, Value: []byte(issuer)}, {Id: oidIssuerV2, Value: v2}}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, pub, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
