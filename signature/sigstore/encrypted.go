package sigstore

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/crypto/nacl/secretbox"
	"golang.org/x/crypto/scrypt"
)

// The envelope cosign (through go-securesystemslib's "encrypted" package)
// wraps a private key in: a JSON object naming the key derivation
// (scrypt with a 32-byte salt) and the cipher (NaCl secretbox with a
// 24-byte nonce), and holding the sealed bytes. encoding/json writes the
// byte slices in base64.
type envelope struct {
	KDF struct {
		Name   string       `json:"name"`
		Params scryptParams `json:"params"`
		Salt   []byte       `json:"salt"`
	} `json:"kdf"`
	Cipher struct {
		Name  string `json:"name"`
		Nonce []byte `json:"nonce"`
	} `json:"cipher"`
	Ciphertext []byte `json:"ciphertext"`
}

type scryptParams struct {
	N int `json:"N"`
	R int `json:"r"`
	P int `json:"p"`
}

// The scrypt cost parameters the format allows: go-securesystemslib's
// legacy (cosign 1, skopeo until 2023), standard (written today) and
// OWASP levels. Any other is refused, so a hostile key file cannot make
// reading it cost unbounded memory and time.
var (
	legacyScrypt   = scryptParams{N: 1 << 15, R: 8, P: 1}
	standardScrypt = scryptParams{N: 1 << 16, R: 8, P: 1}
	owaspScrypt    = scryptParams{N: 1 << 17, R: 8, P: 1}
)

const (
	kdfScrypt          = "scrypt"
	cipherBox          = "nacl/secretbox"
	saltSize           = 32
	boxKeySize         = 32
	boxNonceSize       = 24
	errWrongPassphrase = "the passphrase is wrong, or the key file is damaged"
)

// seal encrypts plaintext under passphrase with the standard parameters.
func seal(plaintext, passphrase []byte) ([]byte, error) {
	var e envelope
	e.KDF.Name, e.KDF.Params = kdfScrypt, standardScrypt
	e.KDF.Salt = make([]byte, saltSize)
	e.Cipher.Name = cipherBox
	e.Cipher.Nonce = make([]byte, boxNonceSize)
	if _, err := rand.Read(e.KDF.Salt); err != nil {
		return nil, err
	}
	if _, err := rand.Read(e.Cipher.Nonce); err != nil {
		return nil, err
	}
	k, n, err := e.box(passphrase)
	if err != nil {
		return nil, err
	}
	e.Ciphertext = secretbox.Seal(nil, plaintext, n, k)
	return json.Marshal(e)
}

// open decrypts an envelope; a wrong passphrase and a tampered file are
// the same failure (secretbox authenticates the plaintext).
func open(b, passphrase []byte) ([]byte, error) {
	var e envelope
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("not an encrypted key envelope: %v", err)
	}
	if e.KDF.Name != kdfScrypt {
		return nil, fmt.Errorf("unknown key derivation %q", e.KDF.Name)
	}
	if e.Cipher.Name != cipherBox {
		return nil, fmt.Errorf("unknown cipher %q", e.Cipher.Name)
	}
	switch e.KDF.Params {
	case legacyScrypt, standardScrypt, owaspScrypt:
	default:
		return nil, errors.New("unsupported scrypt parameters")
	}
	if len(e.Cipher.Nonce) != boxNonceSize {
		return nil, errors.New("incorrect nonce size")
	}
	k, n, err := e.box(passphrase)
	if err != nil {
		return nil, err
	}
	out, ok := secretbox.Open(nil, e.Ciphertext, n, k)
	if !ok {
		return nil, errors.New(errWrongPassphrase)
	}
	return out, nil
}

// box derives the secretbox key from passphrase and returns it with the
// nonce, as arrays.
func (e *envelope) box(passphrase []byte) (*[boxKeySize]byte, *[boxNonceSize]byte, error) {
	key, err := scrypt.Key(passphrase, e.KDF.Salt, e.KDF.Params.N, e.KDF.Params.R, e.KDF.Params.P, boxKeySize)
	if err != nil {
		return nil, nil, err
	}
	var k [boxKeySize]byte
	var n [boxNonceSize]byte
	copy(k[:], key)
	copy(n[:], e.Cipher.Nonce)
	return &k, &n, nil
}
