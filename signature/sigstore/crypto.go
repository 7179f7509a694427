package sigstore

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
)

// signBytes signs payload as sigstore's default signers do: ECDSA
// (ASN.1 DER) and RSA PKCS#1 v1.5 over its SHA-256 digest, Ed25519 over
// the bytes themselves.
func signBytes(k *PrivateKey, payload []byte) ([]byte, error) {
	if _, ok := k.signer.Public().(ed25519.PublicKey); ok {
		return k.signer.Sign(rand.Reader, payload, crypto.Hash(0))
	}
	sum := sha256.Sum256(payload)
	return k.signer.Sign(rand.Reader, sum[:], crypto.SHA256)
}

// verifyBytes checks sig over payload with pub, the counterpart of
// signBytes (sigstore's LoadVerifier with SHA-256, as containers/image
// verifies).
func verifyBytes(pub crypto.PublicKey, payload, sig []byte) error {
	sum := sha256.Sum256(payload)
	switch pub := pub.(type) {
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(pub, sum[:], sig) {
			return errors.New("invalid signature when validating ASN.1 encoded signature")
		}
		return nil
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig)
	case ed25519.PublicKey:
		if !ed25519.Verify(pub, payload, sig) {
			return errors.New("failed to verify signature")
		}
		return nil
	}
	return fmt.Errorf("unsupported public key type %T", pub)
}
