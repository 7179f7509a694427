package ferry

import (
	"context"

	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/signature"
	"github.com/opencontainers/go-digest"
)

// Verified is what a verified signature says: the key that made it and
// the signed payload (the manifest digest and the Docker reference).
type Verified = signature.Verified

// ManifestDigest is the digest of a manifest as a registry computes it:
// the SHA-256 of its bytes, or, for a signed Docker schema-1 manifest, of
// its payload without the signatures.
func ManifestDigest(manifestBytes []byte) (digest.Digest, error) {
	return manifest.Digest(manifestBytes)
}

// StandaloneSign signs manifestBytes as the image dockerReference
// ("registry.example.com/app:1") with signer, and returns a simple signing
// signature (containers-signature(5)), as skopeo standalone-sign does.
// Package signature provides signers: an exported OpenPGP key
// (signature.NewKeyFile, pure Go) or the user's gpg (signature.GPG).
func StandaloneSign(ctx context.Context, manifestBytes []byte, dockerReference string, signer signature.MessageSigner) ([]byte, error) {
	return signature.SignManifest(ctx, signer, manifestBytes, dockerReference)
}

// StandaloneVerify checks that sig signs manifestBytes as the image
// dockerReference, made by one of publicKeys (OpenPGP public keys, binary
// or armored) whose fingerprint is in fingerprints (any of publicKeys
// when none is given), as skopeo standalone-verify does. An untrusted or
// mismatched signature is an error matching ErrDenied.
func StandaloneVerify(manifestBytes, sig []byte, dockerReference string, publicKeys []byte, fingerprints ...string) (*Verified, error) {
	keys, err := signature.ReadKeys(publicKeys)
	if err != nil {
		return nil, err
	}
	if len(fingerprints) == 0 {
		fingerprints = keys.Fingerprints()
	}
	v, err := signature.VerifyManifest(sig, manifestBytes, keys, fingerprints)
	if err != nil {
		return nil, err
	}
	if !sameReference(v.Payload.DockerReference, dockerReference) {
		return nil, signature.IdentityMismatch(v.Payload.DockerReference, dockerReference)
	}
	return v, nil
}

// sameReference compares two Docker references as skopeo does: after
// normalization ("busybox:1" is "docker.io/library/busybox:1").
func sameReference(a, b string) bool {
	na, err := reference.ParseNamed(a, false)
	if err != nil {
		return false
	}
	nb, err := reference.ParseNamed(b, false)
	return err == nil && na.String() == nb.String()
}
