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
	"strings"
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

// verifyDigestAny accepts a signature over the SHA-256 digest sum (a
// message signature, whose message a bundle does not carry) that one of
// keys verifies. Ed25519 signs messages, not digests, so it cannot.
func verifyDigestAny(keys []crypto.PublicKey, sum, sig []byte) error {
	if len(keys) == 0 {
		return denied("Need at least one public key to verify the sigstore payload, but got 0")
	}
	var failures []string
	for _, k := range keys {
		var err error
		switch k := k.(type) {
		case *ecdsa.PublicKey:
			if !ecdsa.VerifyASN1(k, sum, sig) {
				err = errors.New("invalid signature when validating ASN.1 encoded signature")
			}
		case *rsa.PublicKey:
			err = rsa.VerifyPKCS1v15(k, crypto.SHA256, sum, sig)
		default:
			err = fmt.Errorf("a %T key cannot verify a signature of a digest", k)
		}
		if err == nil {
			return nil
		}
		failures = append(failures, err.Error())
	}
	return denied("cryptographic signature verification failed: %s", strings.Join(failures, ", "))
}
