package sigstore

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
	"github.com/opencontainers/go-digest"
)

var testManifest = []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}`)

// newKey makes a key in memory (no scrypt: encryption has its own tests).
func newKey(t *testing.T) (*PrivateKey, []byte) {
	t.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewPrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := MarshalPublicKey(ec.Public())
	if err != nil {
		t.Fatal(err)
	}
	return k, pub
}

func mustPub(t *testing.T, b []byte) crypto.PublicKey {
	t.Helper()
	p, err := ParsePublicKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func keysOf(k ...crypto.PublicKey) []crypto.PublicKey { return k }

// TestKeyPairFormat: the private key is a cosign-encrypted PKCS#8 ECDSA
// P-256 key (the envelope cosign reads: scrypt N=65536 r=8 p=1, a 32-byte
// salt, NaCl secretbox with a 24-byte nonce), the public key PKIX of the
// same key.
func TestKeyPairFormat(t *testing.T) {
	t.Parallel()
	kp, err := GenerateKeyPair([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	block, rest := pem.Decode(kp.Private)
	if block == nil || block.Type != CosignPrivateKeyPEM || len(bytes.TrimSpace(rest)) != 0 {
		t.Fatalf("private key PEM: %q", kp.Private)
	}
	var env map[string]any
	if err := json.Unmarshal(block.Bytes, &env); err != nil {
		t.Fatal(err)
	}
	kdf := env["kdf"].(map[string]any)
	params := kdf["params"].(map[string]any)
	if kdf["name"] != "scrypt" || params["N"] != float64(65536) || params["r"] != float64(8) || params["p"] != float64(1) {
		t.Errorf("kdf = %v", kdf)
	}
	if salt, _ := base64.StdEncoding.DecodeString(kdf["salt"].(string)); len(salt) != 32 {
		t.Errorf("salt of %d bytes", len(salt))
	}
	cipher := env["cipher"].(map[string]any)
	if nonce, _ := base64.StdEncoding.DecodeString(cipher["nonce"].(string)); cipher["name"] != "nacl/secretbox" || len(nonce) != 24 {
		t.Errorf("cipher = %v", cipher)
	}
	k, err := ParsePrivateKey(kp.Private, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	ec, ok := k.Public().(*ecdsa.PublicKey)
	if !ok || ec.Curve != elliptic.P256() {
		t.Fatalf("key type %T", k.Public())
	}
	pub, err := ParsePublicKey(kp.Public)
	if err != nil || !ec.Equal(pub) {
		t.Errorf("public key file does not hold the private key's public half: %v", err)
	}
}

// TestParsePrivateKeyRefusals: a wrong passphrase, a damaged file, a PEM
// of another kind, an envelope with costly scrypt parameters: each one
// error wrapping ErrInvalidArgument, never a panic.
func TestParsePrivateKeyRefusals(t *testing.T) {
	t.Parallel()
	kp, err := GenerateKeyPair([]byte("right"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(kp.Private)
	flipped := bytes.Clone(block.Bytes)
	var env map[string]any
	json.Unmarshal(flipped, &env)
	ct, _ := base64.StdEncoding.DecodeString(env["ciphertext"].(string))
	ct[len(ct)/2] ^= 1
	env["ciphertext"] = base64.StdEncoding.EncodeToString(ct)
	damaged, _ := json.Marshal(env)
	env["kdf"].(map[string]any)["params"] = map[string]int{"N": 1 << 30, "r": 8, "p": 1}
	costly, _ := json.Marshal(env)
	for name, tc := range map[string]struct {
		file []byte
		pass string
		want string
	}{
		"wrong passphrase": {kp.Private, "wrong", "passphrase is wrong"},
		"damaged":          {pem.EncodeToMemory(&pem.Block{Type: SigstorePrivateKeyPEM, Bytes: damaged}), "right", "passphrase is wrong"},
		"costly scrypt":    {pem.EncodeToMemory(&pem.Block{Type: CosignPrivateKeyPEM, Bytes: costly}), "right", "unsupported scrypt parameters"},
		"public key":       {kp.Public, "right", "unsupported PEM block"},
		"not PEM":          {[]byte("garbage"), "right", "not a PEM file"},
		"not JSON":         {pem.EncodeToMemory(&pem.Block{Type: CosignPrivateKeyPEM, Bytes: []byte("{")}), "right", "not an encrypted key envelope"},
	} {
		_, err := ParsePrivateKey(tc.file, []byte(tc.pass))
		if !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrInvalidArgument mentioning %q", name, err, tc.want)
		}
	}
}

// TestSignVerify: a signature verifies with its key, for its manifest;
// another key, another manifest, a changed payload or a missing
// annotation are refused as ErrDenied; an attachment of another media
// type is ErrNotSignature.
func TestSignVerify(t *testing.T) {
	t.Parallel()
	k, pubPEM := newKey(t)
	_, otherPEM := newKey(t)
	id, _ := reference.ParseNamed("example.com/app:1", false)
	blob, err := SignManifest(k, testManifest, id)
	if err != nil {
		t.Fatal(err)
	}
	pub, other := mustPub(t, pubPEM), mustPub(t, otherPEM)
	p, err := VerifyManifest(blob, testManifest, Trust{Keys: keysOf(pub)})
	if err != nil {
		t.Fatal(err)
	}
	if p.DockerReference != "example.com/app:1" || p.ManifestDigest != digest.FromBytes(testManifest) || p.Creator != "ferry" || p.Timestamp == nil {
		t.Errorf("payload %+v", p)
	}
	if _, err := VerifyManifest(blob, testManifest, Trust{Keys: keysOf(other, pub)}); err != nil {
		t.Errorf("two keys, second one signed: %v", err)
	}
	sig, _ := FromBlob(blob)
	tampered := sig
	tampered.Payload = bytes.Replace(sig.Payload, []byte("app:1"), []byte("app:2"), 1)
	noAnnotation := sig
	noAnnotation.Annotations = nil
	for name, tc := range map[string]struct {
		sig  Signature
		man  []byte
		keys []crypto.PublicKey
	}{
		"another key":      {sig, testManifest, keysOf(other)},
		"another manifest": {sig, append(bytes.Clone(testManifest), ' '), keysOf(pub)},
		"tampered payload": {tampered, testManifest, keysOf(pub)},
		"no annotation":    {noAnnotation, testManifest, keysOf(pub)},
		"no keys":          {sig, testManifest, nil},
	} {
		b, _ := tc.sig.Blob()
		if _, err := VerifyManifest(b, tc.man, Trust{Keys: tc.keys}); !errors.Is(err, errdefs.ErrDenied) {
			t.Errorf("%s: %v, want ErrDenied", name, err)
		}
	}
	att := sig
	att.MIMEType = "application/vnd.in-toto+json"
	b, _ := att.Blob()
	if _, err := VerifyManifest(b, testManifest, Trust{Keys: keysOf(pub)}); !errors.Is(err, ErrNotSignature) {
		t.Errorf("attestation: %v, want ErrNotSignature", err)
	}
	noTag, _ := reference.ParseNamed("example.com/app", false)
	if _, err := SignManifest(k, testManifest, noTag); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("signing a name without tag: %v", err)
	}
}

// TestOtherKeyTypes: RSA (PKCS#1 v1.5) and Ed25519 keys sign and verify as sigstore's default signers and
// verifiers do.
func TestOtherKeyTypes(t *testing.T) {
	t.Parallel()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, ek, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := reference.ParseNamed("example.com/app:1", false)
	for name, priv := range map[string]crypto.Signer{"rsa": rk, "ed25519": ek} {
		k, err := NewPrivateKey(priv)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		blob, err := SignManifest(k, testManifest, id)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		pubPEM, _ := MarshalPublicKey(priv.Public())
		if _, err := VerifyManifest(blob, testManifest, Trust{Keys: []crypto.PublicKey{mustPub(t, pubPEM)}}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestParsePayload: cosign's payload (optional null, the repository
// alone) is read; unknown critical members, a wrong type, a missing
// member and a fractional timestamp are refused.
func TestParsePayload(t *testing.T) {
	t.Parallel()
	const d = "sha256:35f805a52e49a62686cf67512b74ffc33bb1a282c7756e6529b3af914190e126"
	cosign := `{"critical":{"identity":{"docker-reference":"127.0.0.1:5000/app"},"image":{"docker-manifest-digest":"` + d + `"},"type":"cosign container image signature"},"optional":null}`
	p, err := ParsePayload([]byte(cosign))
	if err != nil || p.DockerReference != "127.0.0.1:5000/app" || p.ManifestDigest != d {
		t.Fatalf("cosign payload: %+v, %v", p, err)
	}
	withOptional := strings.Replace(cosign, `null`, `{"creator":"x","timestamp":5,"whatever":[1]}`, 1)
	if p, err := ParsePayload([]byte(withOptional)); err != nil || p.Creator != "x" || *p.Timestamp != 5 {
		t.Errorf("optional members: %+v, %v", p, err)
	}
	for name, b := range map[string]string{
		"unknown critical member": strings.Replace(cosign, `"type"`, `"extra":1,"type"`, 1),
		"simple signing type":     strings.Replace(cosign, "cosign container image signature", "atomic container signature", 1),
		"no optional":             strings.Replace(cosign, `,"optional":null`, ``, 1),
		"fractional timestamp":    strings.Replace(cosign, `null`, `{"timestamp":1.5}`, 1),
		"bad digest":              strings.Replace(cosign, d, "sha256:abc", 1),
		"not JSON":                "[",
	} {
		if _, err := ParsePayload([]byte(b)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestBlobRoundTrip: the storage form is containers/image's: a zero byte,
// "sigstore-json", a newline, the JSON with the payload in base64.
func TestBlobRoundTrip(t *testing.T) {
	t.Parallel()
	s := Signature{MIMEType: MIMEType, Payload: []byte("{}"), Annotations: map[string]string{SignatureAnnotation: "c2ln"}}
	b, err := s.Blob()
	if err != nil {
		t.Fatal(err)
	}
	want := "\x00sigstore-json\n" + `{"mimeType":"` + MIMEType + `","payload":"e30=","annotations":{"` + SignatureAnnotation + `":"c2ln"}}`
	if string(b) != want {
		t.Errorf("blob %q, want %q", b, want)
	}
	got, err := FromBlob(b)
	if err != nil || got.MIMEType != s.MIMEType || string(got.Payload) != "{}" || got.Annotations[SignatureAnnotation] != "c2ln" {
		t.Errorf("read back %+v, %v", got, err)
	}
	if _, err := FromBlob([]byte("\xa3simple")); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("simple signing blob: %v", err)
	}
}

// TestSigningParams: a key-based parameter file is read; keyless signing
// and Rekor uploads, which need network services, are refused as not
// supported; unknown keys are errors.
func TestSigningParams(t *testing.T) {
	t.Parallel()
	p, err := ParseSigningParams([]byte("privateKeyFile: /k\nprivateKeyPassphraseFile: /p\n"))
	if err != nil || p.PrivateKeyFile != "/k" || p.PrivateKeyPassphraseFile != "/p" {
		t.Fatalf("%+v, %v", p, err)
	}
	for name, tc := range map[string]struct {
		yaml string
		want error
	}{
		"fulcio":      {"fulcio:\n  fulcioURL: https://f\n  oidcMode: interactive\nrekorURL: https://r\n", errdefs.ErrNotSupported},
		"rekor":       {"privateKeyFile: /k\nrekorURL: https://rekor.sigstore.dev\n", errdefs.ErrNotSupported},
		"empty":       {"", errdefs.ErrInvalidArgument},
		"unknown key": {"privateKeyFile: /k\nprivateKey: /k\n", errdefs.ErrInvalidArgument},
		"both":        {"privateKeyFile: /k\nfulcio:\n  fulcioURL: x\n", errdefs.ErrInvalidArgument},
	} {
		if _, err := ParseSigningParams([]byte(tc.yaml)); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
}
