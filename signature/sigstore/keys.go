package sigstore

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"

	"github.com/ferrytool/ferry/errdefs"
)

// PEM block types of an encrypted private key: cosign 1 and skopeo write
// the first, cosign 2 and later the second; both are read.
const (
	CosignPrivateKeyPEM   = "ENCRYPTED COSIGN PRIVATE KEY"
	SigstorePrivateKeyPEM = "ENCRYPTED SIGSTORE PRIVATE KEY"
)

// KeyPair is a generated key pair in file form.
type KeyPair struct {
	// Private is the PKCS#8 private key, encrypted, in a PEM block of type
	// CosignPrivateKeyPEM (as skopeo writes it).
	Private []byte
	// Public is the PKIX public key in a "PUBLIC KEY" PEM block.
	Public []byte
}

// GenerateKeyPair makes an ECDSA P-256 key pair (the one algorithm
// cosign's signature specification requires verifiers to support) and
// encrypts the private key under passphrase, which may be empty.
func GenerateKeyPair(passphrase []byte) (*KeyPair, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	sealed, err := seal(der, passphrase)
	if err != nil {
		return nil, err
	}
	pub, err := MarshalPublicKey(k.Public())
	if err != nil {
		return nil, err
	}
	return &KeyPair{
		Private: pem.EncodeToMemory(&pem.Block{Type: CosignPrivateKeyPEM, Bytes: sealed}),
		Public:  pub,
	}, nil
}

// MarshalPublicKey writes pub as a PKIX "PUBLIC KEY" PEM block.
func MarshalPublicKey(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// PrivateKey is a decrypted signing key.
type PrivateKey struct {
	signer crypto.Signer
}

// ParsePrivateKey decrypts an encrypted cosign/sigstore private key file
// with passphrase. A file that is not one, a wrong passphrase and a key
// of a kind ferry cannot sign with are each one clear error.
func ParsePrivateKey(b, passphrase []byte) (*PrivateKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("%w: not a PEM file (want an %q block, as generate-sigstore-key and cosign generate-key-pair write)", errdefs.ErrInvalidArgument, CosignPrivateKeyPEM)
	}
	if block.Type != CosignPrivateKeyPEM && block.Type != SigstorePrivateKeyPEM {
		return nil, fmt.Errorf("%w: unsupported PEM block %q (want %q or %q)", errdefs.ErrInvalidArgument, block.Type, CosignPrivateKeyPEM, SigstorePrivateKeyPEM)
	}
	der, err := open(block.Bytes, passphrase)
	if err != nil {
		return nil, fmt.Errorf("%w: decrypting the private key: %v", errdefs.ErrInvalidArgument, err)
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: parsing the private key: %v", errdefs.ErrInvalidArgument, err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: unsupported private key type %T", errdefs.ErrNotSupported, k)
	}
	return NewPrivateKey(signer)
}

// NewPrivateKey signs with an ECDSA, RSA or Ed25519 key held in memory
// (or behind any crypto.Signer of those kinds).
func NewPrivateKey(s crypto.Signer) (*PrivateKey, error) {
	switch s.Public().(type) {
	case *ecdsa.PublicKey, *rsa.PublicKey, ed25519.PublicKey:
		return &PrivateKey{signer: s}, nil
	}
	return nil, fmt.Errorf("%w: unsupported private key type %T", errdefs.ErrNotSupported, s.Public())
}

// Public is the key's public half.
func (k *PrivateKey) Public() crypto.PublicKey { return k.signer.Public() }

// ParsePublicKey reads the first PEM block of b as a PKIX public key
// (cosign.pub, PREFIX.pub), as containers/image reads a policy's keys.
func ParsePublicKey(b []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM public key found", errdefs.ErrInvalidArgument)
	}
	if block.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("%w: PEM block %q is not a public key (want \"PUBLIC KEY\")", errdefs.ErrInvalidArgument, block.Type)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: parsing the public key: %v", errdefs.ErrInvalidArgument, err)
	}
	switch pub.(type) {
	case *ecdsa.PublicKey, *rsa.PublicKey, ed25519.PublicKey:
		return pub, nil
	}
	return nil, fmt.Errorf("%w: unsupported public key type %T", errdefs.ErrNotSupported, pub)
}
