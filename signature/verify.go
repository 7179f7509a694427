package signature

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/manifest"
	"github.com/opencontainers/go-digest"
)

// now is the clock key validity is judged by.
var now = time.Now

// Verified is a signature whose envelope checked out.
type Verified struct {
	Payload Payload
	// Fingerprint is the fingerprint of the key that made the signature,
	// upper-case hex.
	Fingerprint string
}

// VerifyMessage checks the OpenPGP envelope of sig against keys and returns
// what it signs and who signed it. It refuses an encrypted or unsigned
// message, an unknown signer, a bad signature and a signature by a key that
// is expired or revoked.
func VerifyMessage(sig []byte, keys *Keyring) ([]byte, string, error) {
	if keys == nil || len(keys.entities) == 0 {
		return nil, "", denied("no public keys to verify the signature with")
	}
	md, err := openpgp.ReadMessage(bytes.NewReader(sig), keys.entities, func([]openpgp.Key, bool) ([]byte, error) {
		return nil, errors.New("the signature is encrypted")
	}, &packet.Config{Time: now})
	if err != nil {
		return nil, "", invalid("%v", err)
	}
	if md.IsEncrypted {
		return nil, "", invalid("the message is encrypted, not signed")
	}
	if !md.IsSigned {
		return nil, "", invalid("the message is not signed")
	}
	content, err := io.ReadAll(md.UnverifiedBody)
	if err != nil {
		return nil, "", invalid("%v", err)
	}
	if md.SignedBy == nil {
		return nil, "", invalid("the signing key %016X is not trusted", md.SignedByKeyId)
	}
	if md.SignatureError != nil {
		switch {
		case errors.Is(md.SignatureError, pgperrors.ErrKeyExpired):
			return nil, "", invalid("the signing key %s has expired", fingerprint(md.SignedBy.Entity.PrimaryKey.Fingerprint))
		case errors.Is(md.SignatureError, pgperrors.ErrKeyRevoked):
			return nil, "", invalid("the signing key %s is revoked", fingerprint(md.SignedBy.Entity.PrimaryKey.Fingerprint))
		}
		return nil, "", invalid("%v", md.SignatureError)
	}
	if md.Signature == nil {
		return nil, "", invalid("no valid signature packet")
	}
	return content, fingerprint(md.SignedBy.PublicKey.Fingerprint), nil
}

// invalid words an envelope failure as containers/image does.
func invalid(format string, a ...any) error {
	return denied("Invalid GPG signature: %s", fmt.Sprintf(format, a...))
}

// VerifyManifest verifies sig with keys and checks that it signs man: the
// payload's digest must be man's (schema-1 manifests digested without their
// JWS signatures). The identity is left to the caller, whose rules differ
// (policy signedIdentity, or an exact reference for standalone-verify).
// trusted, when not empty, further restricts the signers accepted to those
// fingerprints (primary or signing subkey).
func VerifyManifest(sig, man []byte, keys *Keyring, trusted []string) (*Verified, error) {
	content, fpr, err := VerifyMessage(sig, keys)
	if err != nil {
		return nil, err
	}
	if len(trusted) > 0 && !fingerprintTrusted(keys, fpr, trusted) {
		return nil, denied("Signature by %s does not match expected fingerprints %s", fpr, strings.Join(trusted, ", "))
	}
	p, err := ParsePayload(content)
	if err != nil {
		return nil, err
	}
	ok, err := MatchesDigest(man, p.ManifestDigest)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, denied("Signature for docker digest %q does not match", p.ManifestDigest)
	}
	return &Verified{Payload: p, Fingerprint: fpr}, nil
}

// MatchesDigest reports whether a signature's digest d names man: digested
// with d's algorithm, schema-1 manifests without their JWS signatures.
func MatchesDigest(man []byte, d digest.Digest) (bool, error) {
	got, err := manifest.Digest(man)
	if err != nil {
		return false, fmt.Errorf("%w: %w", errdefs.ErrInvalidManifest, err)
	}
	if d.Algorithm().Available() && d.Algorithm() != got.Algorithm() {
		got = d.Algorithm().FromBytes(man)
	}
	return got == d, nil
}

// fingerprintTrusted reports whether the signing key fpr, or the primary
// key it belongs to, is among trusted.
func fingerprintTrusted(keys *Keyring, fpr string, trusted []string) bool {
	norm := func(s string) string { return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", "")) }
	want := make([]string, len(trusted))
	for i, t := range trusted {
		want[i] = norm(t)
	}
	if slices.Contains(want, fpr) {
		return true
	}
	for _, e := range keys.entities {
		owns := fingerprint(e.PrimaryKey.Fingerprint) == fpr
		for _, s := range e.Subkeys {
			owns = owns || fingerprint(s.PublicKey.Fingerprint) == fpr
		}
		if owns && slices.Contains(want, fingerprint(e.PrimaryKey.Fingerprint)) {
			return true
		}
	}
	return false
}

// Untrusted is what a signature says, read without checking who signed it
// (skopeo's untrusted-signature-dump-without-verification). The field names
// are those skopeo prints.
type Untrusted struct {
	UntrustedDockerManifestDigest string
	UntrustedDockerReference      string
	UntrustedCreatorID            *string
	UntrustedTimestamp            *time.Time
	UntrustedShortKeyIdentifier   string
}

// ReadUntrusted decodes sig without verifying it.
func ReadUntrusted(sig []byte) (*Untrusted, error) {
	md, err := openpgp.ReadMessage(bytes.NewReader(sig), openpgp.EntityList{}, func([]openpgp.Key, bool) ([]byte, error) {
		return nil, errors.New("the signature is encrypted")
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: not an OpenPGP signed message: %w", errdefs.ErrInvalidArgument, err)
	}
	if !md.IsSigned {
		return nil, fmt.Errorf("%w: the message is not signed", errdefs.ErrInvalidArgument)
	}
	content, err := io.ReadAll(md.UnverifiedBody)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errdefs.ErrInvalidArgument, err)
	}
	p, err := ParsePayload(content)
	if err != nil {
		return nil, err
	}
	u := &Untrusted{
		UntrustedDockerManifestDigest: p.ManifestDigest.String(),
		UntrustedDockerReference:      p.DockerReference,
		UntrustedShortKeyIdentifier:   fmt.Sprintf("%016X", md.SignedByKeyId),
	}
	if p.Creator != "" {
		c := p.Creator
		u.UntrustedCreatorID = &c
	}
	if p.Timestamp != nil {
		t := time.Unix(*p.Timestamp, 0)
		u.UntrustedTimestamp = &t
	}
	return u, nil
}
