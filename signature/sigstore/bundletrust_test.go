package sigstore

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testsigstore"
	"github.com/opencontainers/go-digest"
)

// signedBundle is a bundle's parts before it is written: what was signed
// and how, and the verification material to put beside it.
type signedBundle struct {
	content  map[string]any // dsseEnvelope or messageSignature
	envelope []byte         // the DSSE envelope's JSON (nil for a message signature)
	payload  []byte         // the DSSE payload
	sig      []byte
	sum      []byte // the SHA-256 a log entry records
}

// dsse signs a cosign signing statement for sub with k.
func dsse(t *testing.T, k *PrivateKey, sub digest.Digest) signedBundle {
	t.Helper()
	return dsseOf(t, k, sub, cosignSignPredicate)
}

// dsseOf signs an in-toto statement of predicate type pred for sub.
func dsseOf(t *testing.T, k *PrivateKey, sub digest.Digest, pred string) signedBundle {
	t.Helper()
	st := fmt.Sprintf(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"","digest":{%q:%q}}],"predicateType":%q,"predicate":{}}`, sub.Algorithm(), sub.Encoded(), pred)
	const typ = "application/vnd.in-toto+json"
	sig, err := signBytes(k, dssePAE(typ, []byte(st)))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]any{"payload": base64.StdEncoding.EncodeToString([]byte(st)), "payloadType": typ, "signatures": []map[string]string{{"sig": base64.StdEncoding.EncodeToString(sig)}}}
	envJSON, _ := json.Marshal(env)
	sum := sha256.Sum256([]byte(st))
	return signedBundle{content: map[string]any{"dsseEnvelope": env}, envelope: envJSON, payload: []byte(st), sig: sig, sum: sum[:]}
}

// message signs man's bytes as cosign sign-blob does (the signature is
// over the SHA-256 of the bytes, the bundle carries only that digest).
func message(t *testing.T, k *PrivateKey, man []byte) signedBundle {
	t.Helper()
	sig, err := signBytes(k, man)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(man)
	return signedBundle{content: map[string]any{"messageSignature": map[string]any{"messageDigest": map[string]any{"algorithm": "SHA2_256", "digest": sum[:]}, "signature": sig}}, sig: sig, sum: sum[:]}
}

// body is the Rekor entry body recording s by keyOrCert (PEM).
func (s signedBundle) body(keyOrCert []byte) []byte {
	if s.envelope != nil {
		return testsigstore.DSSEBody(keyOrCert, s.sig, s.payload, s.envelope)
	}
	return testsigstore.HashedRekordBody(keyOrCert, s.sig, s.sum)
}

// json writes the bundle with verification material vm.
func (s signedBundle) json(vm map[string]any) []byte {
	b := map[string]any{"mediaType": BundleArtifactType, "verificationMaterial": vm}
	for k, v := range s.content {
		b[k] = v
	}
	out, _ := json.Marshal(b)
	return out
}

func certDER(pemCert []byte) []byte {
	b, _ := pem.Decode(pemCert)
	return b.Bytes
}

// TestBundleFulcioRekor: a keyless bundle (a Fulcio certificate, a Rekor
// entry with a promise and/or a proof) is accepted when the certificate
// chains to the CA, was valid when Rekor logged the signature, and names
// the issuer and e-mail; each broken link is refused.
func TestBundleFulcioRekor(t *testing.T) {
	t.Parallel()
	log, otherLog := testsigstore.NewRekorLog(t), testsigstore.NewRekorLog(t)
	ca, otherCA := testsigstore.NewFulcioCA(t), testsigstore.NewFulcioCA(t)
	ephemeral, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k, _ := NewPrivateKey(ephemeral)
	man := digest.FromBytes(testManifest)
	signed := time.Unix(1.8e9, 0)
	cert := ca.Issue(t, ephemeral.Public(), "me@example.com", "https://issuer.example", signed.Add(-time.Minute))
	d, m := dsse(t, k, man), message(t, k, testManifest)
	vm := func(s signedBundle, entries ...map[string]any) map[string]any {
		return map[string]any{"certificate": map[string]any{"rawBytes": certDER(cert)}, "tlogEntries": entries}
	}
	trust := Trust{Fulcio: &Fulcio{CAs: mustPool(t, ca.PEM), Issuer: "https://issuer.example", Email: "me@example.com"}, RekorKeys: []*ecdsa.PublicKey{&log.Key.PublicKey}}
	for name, b := range map[string][]byte{
		"DSSE, promise":           d.json(vm(d, log.Entry(t, d.body(cert), signed, true, false))),
		"DSSE, promise and proof": d.json(vm(d, log.Entry(t, d.body(cert), signed, true, true))),
		"message, promise":        m.json(vm(m, log.Entry(t, m.body(cert), signed, true, false))),
		"DSSE, second entry":      d.json(vm(d, otherLog.Entry(t, d.body(cert), signed, true, false), log.Entry(t, d.body(cert), signed, true, false))),
		"DSSE, certificate chain": d.json(map[string]any{"x509CertificateChain": map[string]any{"certificates": []map[string]any{{"rawBytes": certDER(cert)}}}, "tlogEntries": []any{log.Entry(t, d.body(cert), signed, true, true)}}),
	} {
		if err := VerifyBundle(b, man, trust); err != nil {
			t.Errorf("%s: valid keyless bundle refused: %v", name, err)
		}
	}
	good := d.json(vm(d, log.Entry(t, d.body(cert), signed, true, true)))
	for name, tc := range fulcioRefusals(t, trust, otherCA, otherLog) {
		if err := VerifyBundle(good, man, tc.trust); !errors.Is(err, errdefs.ErrDenied) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrDenied holding %q", name, err, tc.want)
		}
	}
	brokenProof := log.Entry(t, d.body(cert), signed, false, true)
	brokenProof["inclusionProof"].(map[string]any)["hashes"].([][]byte)[0][0] ^= 1
	otherCheckpoint := log.Entry(t, d.body(cert), signed, false, true)
	proof := otherCheckpoint["inclusionProof"].(map[string]any)
	proof["checkpoint"] = map[string]string{"envelope": otherLog.Checkpoint(t, 7, proof["rootHash"].([]byte))}
	for name, tc := range map[string]struct {
		b     []byte
		trust Trust
		want  string
	}{
		"logged too late":    {d.json(vm(d, log.Entry(t, d.body(cert), signed.Add(time.Hour), true, false))), trust, "verifying the Fulcio certificate failed"},
		"proof only":         {d.json(vm(d, log.Entry(t, d.body(cert), signed, false, true))), trust, "gives no signing time"},
		"entry of another":   {d.json(vm(d, log.Entry(t, m.body(cert), signed, true, false))), trust, "unsupported Rekor SET entry hashedrekord"},
		"no entry":           {d.json(vm(d)), trust, "holds no Rekor log entry"},
		"no certificate":     {d.json(map[string]any{"tlogEntries": []any{log.Entry(t, d.body(cert), signed, true, false)}}), trust, "holds no certificate"},
		"digest of another":  {message(t, k, []byte("{}")).json(vm(m, log.Entry(t, message(t, k, []byte("{}")).body(cert), signed, true, false))), trust, "does not match"},
		"message, no entry":  {m.json(vm(m)), trust, "holds no Rekor log entry"},
		"unsupported digest": {[]byte(strings.Replace(string(m.json(vm(m))), "SHA2_256", "SHA2_384", 1)), trust, "unsupported message digest"},
		"DSSE and message":   {[]byte(`{"mediaType":"` + BundleArtifactType + `","dsseEnvelope":{},"messageSignature":{}}`), trust, "either a DSSE envelope or a message signature"},
	} {
		err := VerifyBundle(tc.b, man, tc.trust)
		if !errors.Is(err, errdefs.ErrDenied) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrDenied holding %q", name, err, tc.want)
		}
	}
	// A proof that does not lead to the checkpoint's root, or a
	// checkpoint by another log, is refused even beside a valid promise.
	for name, e := range map[string]map[string]any{"broken proof": brokenProof, "checkpoint of another log": otherCheckpoint} {
		e["inclusionPromise"] = log.Entry(t, d.body(cert), signed, true, false)["inclusionPromise"]
		want := map[string]string{"broken proof": "does not lead to the checkpoint's root", "checkpoint of another log": "verification of the Rekor checkpoint failed"}[name]
		if err := VerifyBundle(d.json(vm(d, e)), man, trust); !errors.Is(err, errdefs.ErrDenied) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want ErrDenied holding %q", name, err, want)
		}
	}
}

// TestBundleKeyRekor: with Rekor keys beside public keys, a bundle needs
// a log entry recording the very key that signed it; an inclusion proof
// alone is enough (no certificate needs a time).
func TestBundleKeyRekor(t *testing.T) {
	t.Parallel()
	log := testsigstore.NewRekorLog(t)
	k, pubPEM := newKey(t)
	other, otherPEM := newKey(t)
	man := digest.FromBytes(testManifest)
	d, m := dsse(t, k, man), message(t, k, testManifest)
	vm := func(entries ...map[string]any) map[string]any {
		return map[string]any{"publicKey": map[string]string{"hint": "k"}, "tlogEntries": entries}
	}
	trust := Trust{Keys: keysOf(other.Public(), k.Public()), RekorKeys: []*ecdsa.PublicKey{&log.Key.PublicKey}}
	for name, b := range map[string][]byte{
		"DSSE, proof":      d.json(vm(log.Entry(t, d.body(pubPEM), time.Now(), false, true))),
		"message, promise": m.json(vm(log.Entry(t, m.body(pubPEM), time.Now(), true, false))),
		"message, no log":  m.json(vm()),
	} {
		tr := trust
		if name == "message, no log" {
			tr.RekorKeys = nil
		}
		if err := VerifyBundle(b, man, tr); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, b := range map[string][]byte{
		"entry for another key": d.json(vm(log.Entry(t, d.body(otherPEM), time.Now(), true, false))),
		"no entry":              d.json(vm()),
	} {
		if err := VerifyBundle(b, man, Trust{Keys: keysOf(k.Public()), RekorKeys: trust.RekorKeys}); !errors.Is(err, errdefs.ErrDenied) || !strings.Contains(err.Error(), "No public key verified against the Rekor log entries") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := VerifyBundle(m.json(vm()), digest.FromString("another manifest"), Trust{Keys: keysOf(k.Public())}); !errors.Is(err, errdefs.ErrDenied) || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("message signature of another manifest: %v", err)
	}
}

// TestBundlePKI: a bundle whose certificate an organisation's CA issued
// is accepted under pki without Rekor.
func TestBundlePKI(t *testing.T) {
	t.Parallel()
	ca, otherCA := testsigstore.NewFulcioCA(t), testsigstore.NewFulcioCA(t)
	signer, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k, _ := NewPrivateKey(signer)
	man := digest.FromBytes(testManifest)
	cert := ca.Issue(t, signer.Public(), "builder@example.com", "https://unused.example", time.Now().Add(-time.Minute))
	b := dsse(t, k, man).json(map[string]any{"certificate": map[string]any{"rawBytes": certDER(cert)}})
	if err := VerifyBundle(b, man, Trust{PKI: &PKI{Roots: mustPool(t, ca.PEM), Email: "builder@example.com"}}); err != nil {
		t.Errorf("PKI bundle refused: %v", err)
	}
	if err := VerifyBundle(b, man, Trust{PKI: &PKI{Roots: mustPool(t, otherCA.PEM), Email: "builder@example.com"}}); !errors.Is(err, errdefs.ErrDenied) {
		t.Errorf("PKI bundle of another CA: %v", err)
	}
}
