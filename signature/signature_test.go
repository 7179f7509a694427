package signature

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/ferrytool/ferry/errdefs"
	"github.com/opencontainers/go-digest"
)

// newKey makes a key pair in pure Go, created at created (zero: now),
// valid for lifetime (0: forever). It returns the exported secret key and
// the public keyring.
func newKey(t *testing.T, created time.Time, lifetime uint32) (*openpgp.Entity, []byte, *Keyring) {
	t.Helper()
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, KeyLifetimeSecs: lifetime}
	if !created.IsZero() {
		cfg.Time = func() time.Time { return created }
	}
	e, err := openpgp.NewEntity("ferry test", "", "test@example.com", cfg)
	if err != nil {
		t.Fatal(err)
	}
	var sec, pub bytes.Buffer
	if err := e.SerializePrivate(&sec, cfg); err != nil {
		t.Fatal(err)
	}
	if err := e.Serialize(&pub); err != nil {
		t.Fatal(err)
	}
	k, err := ReadKeys(pub.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return e, sec.Bytes(), k
}

const man = `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}`

func TestSignAndVerify(t *testing.T) {
	t.Parallel()
	_, sec, keys := newKey(t, time.Time{}, 0)
	kf, err := NewKeyFile(sec, "")
	if err != nil {
		t.Fatal(err)
	}
	sig, err := SignManifest(context.Background(), kf, []byte(man), "example.com/app:1")
	if err != nil {
		t.Fatal(err)
	}
	v, err := VerifyManifest(sig, []byte(man), keys, []string{kf.Fingerprint()})
	if err != nil {
		t.Fatal(err)
	}
	if v.Payload.DockerReference != "example.com/app:1" || v.Payload.ManifestDigest != digest.FromString(man) || v.Fingerprint != kf.Fingerprint() {
		t.Errorf("verified %+v", v)
	}
	u, err := ReadUntrusted(sig)
	if err != nil || u.UntrustedDockerReference != "example.com/app:1" || u.UntrustedCreatorID == nil || *u.UntrustedCreatorID != Creator {
		t.Errorf("ReadUntrusted = %+v, %v", u, err)
	}

	// Refusals: another manifest, another key, a fingerprint not trusted,
	// a flipped byte.
	if _, err := VerifyManifest(sig, []byte(man+" "), keys, nil); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("other manifest: %v", err)
	}
	_, _, other := newKey(t, time.Time{}, 0)
	if _, err := VerifyManifest(sig, []byte(man), other, nil); err == nil || !errors.Is(err, errdefs.ErrDenied) {
		t.Errorf("other key: %v", err)
	}
	if _, err := VerifyManifest(sig, []byte(man), keys, []string{"0123456789ABCDEF0123456789ABCDEF01234567"}); err == nil || !strings.Contains(err.Error(), "does not match expected fingerprints") {
		t.Errorf("untrusted fingerprint: %v", err)
	}
	// A tampered payload (the signed JSON, stored in the clear) and a
	// tampered signature value are refused.
	at := bytes.Index(sig, []byte("example.com/app:1"))
	if at < 0 {
		t.Fatal("payload not found in the signed message")
	}
	for _, i := range []int{at, at + 5, len(sig) - 3} {
		bad := bytes.Clone(sig)
		bad[i] ^= 0x01
		if _, err := VerifyManifest(bad, []byte(man), keys, nil); err == nil || !errors.Is(err, errdefs.ErrDenied) {
			t.Errorf("a signature with byte %d flipped: %v", i, err)
		}
	}
}

func TestSchema1Digest(t *testing.T) {
	t.Parallel()
	payload := "{\n   \"schemaVersion\": 1,\n   \"name\": \"library/app\",\n   \"tag\": \"1\",\n   \"fsLayers\": [],\n   \"history\": []\n}"
	cut := len(payload) - 2
	protected := fmt.Sprintf(`{"formatLength":%d,"formatTail":"%s"}`, cut, base64.RawURLEncoding.EncodeToString([]byte(payload[cut:])))
	signed := payload[:cut] + `,"signatures":[{"header":{"alg":"ES256"},"signature":"x","protected":"` + base64.RawURLEncoding.EncodeToString([]byte(protected)) + `"}]}`
	_, sec, keys := newKey(t, time.Time{}, 0)
	kf, _ := NewKeyFile(sec, "")
	sig, err := SignManifest(context.Background(), kf, []byte(signed), "example.com/app:1")
	if err != nil {
		t.Fatal(err)
	}
	v, err := VerifyManifest(sig, []byte(signed), keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v.Payload.ManifestDigest != digest.FromString(payload) {
		t.Errorf("schema-1 signature names %s, want the JWS payload's digest", v.Payload.ManifestDigest)
	}
}

func TestExpiredAndRevokedKeys(t *testing.T) {
	t.Parallel()
	old := time.Now().Add(-72 * time.Hour)
	e, _, keys := newKey(t, old, 3600) // expired two days ago
	sig := signAt(t, e, old.Add(time.Minute))
	if _, err := VerifyManifest(sig, []byte(man), keys, nil); err == nil || !strings.Contains(err.Error(), "has expired") {
		t.Errorf("expired key: %v", err)
	}
	r, _, _ := newKey(t, time.Time{}, 0)
	sig = signAt(t, r, time.Now())
	if err := r.RevokeKey(packet.KeyCompromised, "test", nil); err != nil {
		t.Fatal(err)
	}
	var pub bytes.Buffer
	if err := r.Serialize(&pub); err != nil {
		t.Fatal(err)
	}
	revoked, err := ReadKeys(pub.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyManifest(sig, []byte(man), revoked, nil); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Errorf("revoked key: %v", err)
	}
}

// signAt signs man with e as at time at.
func signAt(t *testing.T, e *openpgp.Entity, at time.Time) []byte {
	t.Helper()
	payload, _ := Payload{ManifestDigest: digest.FromString(man), DockerReference: "example.com/app:1"}.MarshalJSON()
	var out bytes.Buffer
	w, err := openpgp.Sign(&out, e, nil, &packet.Config{Time: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(payload)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestPassphrase(t *testing.T) {
	t.Parallel()
	e, _, _ := newKey(t, time.Time{}, 0)
	if err := e.EncryptPrivateKeys([]byte("right"), nil); err != nil {
		t.Fatal(err)
	}
	var sec bytes.Buffer
	if err := e.SerializePrivateWithoutSigning(&sec, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := NewKeyFile(sec.Bytes(), "wrong"); err == nil || !strings.Contains(err.Error(), "wrong passphrase") {
		t.Errorf("wrong passphrase: %v", err)
	}
	if _, err := NewKeyFile(sec.Bytes(), ""); err == nil || !strings.Contains(err.Error(), "protected by a passphrase") {
		t.Errorf("no passphrase: %v", err)
	}
	if _, err := NewKeyFile(sec.Bytes(), "right"); err != nil {
		t.Errorf("right passphrase: %v", err)
	}
	if _, err := NewKeyFile([]byte("not a key"), ""); err == nil {
		t.Error("garbage accepted as a key")
	}
}

func TestParsePayload(t *testing.T) {
	t.Parallel()
	const d = "sha256:0123456789012345678901234567890123456789012345678901234567890123"
	crit := func(extra string) string {
		return `{"critical":{"type":"atomic container signature","image":{"docker-manifest-digest":"` + d + `"},"identity":{"docker-reference":"example.com/a:1"}` + extra + `},"optional":{}}`
	}
	for _, tc := range []struct {
		name, json, err string
	}{
		{"valid", crit(""), ""},
		{"unknown optional member", `{"critical":{"type":"atomic container signature","image":{"docker-manifest-digest":"` + d + `"},"identity":{"docker-reference":"e/a:1"}},"optional":{"creator":"x","timestamp":5,"future":true}}`, ""},
		{"unknown critical member", crit(`,"restriction":"x"`), `Unknown key "restriction"`},
		{"duplicate critical member", crit(`,"type":"atomic container signature"`), `Duplicate key "type"`},
		{"unknown top member", `{"critical":{},"optional":{},"x":1}`, `Unknown key "x"`},
		{"wrong type", strings.Replace(crit(""), "atomic container signature", "cosign", 1), "Unrecognized signature type"},
		{"missing optional", strings.TrimSuffix(crit(""), `,"optional":{}}`) + "}", `"optional" is missing`},
		{"bad digest", strings.Replace(crit(""), d, "sha256:xyz", 1), "docker-manifest-digest"},
		{"not JSON", "garbage", "invalid JSON"},
	} {
		_, err := ParsePayload([]byte(tc.json))
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.err)
		}
	}
}
