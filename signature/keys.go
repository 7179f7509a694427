package signature

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ferrytool/ferry/errdefs"
)

// Keyring holds the public keys signatures are checked against.
type Keyring struct {
	entities openpgp.EntityList
}

// ReadKeys reads OpenPGP keys, armored (gpg --export --armor) or binary
// (gpg --export), one or several concatenated.
func ReadKeys(b []byte) (*Keyring, error) {
	var all openpgp.EntityList
	rest := bytes.TrimSpace(b)
	if len(rest) == 0 {
		return nil, fmt.Errorf("%w: no OpenPGP keys found", errdefs.ErrInvalidArgument)
	}
	if bytes.HasPrefix(rest, []byte("-----BEGIN")) {
		// Several armored blocks may follow each other; read each.
		for len(rest) > 0 {
			block, err := armor.Decode(bytes.NewReader(rest))
			if err != nil {
				break
			}
			el, err := openpgp.ReadKeyRing(block.Body)
			if err != nil {
				return nil, fmt.Errorf("%w: reading OpenPGP keys: %w", errdefs.ErrInvalidArgument, err)
			}
			all = append(all, el...)
			end := bytes.Index(rest, []byte("-----END"))
			if end < 0 {
				break
			}
			nl := bytes.IndexByte(rest[end:], '\n')
			if nl < 0 {
				break
			}
			rest = bytes.TrimSpace(rest[end+nl:])
		}
	} else {
		el, err := openpgp.ReadKeyRing(bytes.NewReader(b)) // binary: not trimmed
		if err != nil {
			return nil, fmt.Errorf("%w: reading OpenPGP keys: %w", errdefs.ErrInvalidArgument, err)
		}
		all = el
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("%w: no OpenPGP keys found", errdefs.ErrInvalidArgument)
	}
	return &Keyring{entities: all}, nil
}

// Add appends the keys of other.
func (k *Keyring) Add(other *Keyring) {
	k.entities = append(k.entities, other.entities...)
}

// Fingerprints lists the primary key fingerprints, upper-case hex as gpg
// prints them.
func (k *Keyring) Fingerprints() []string {
	var out []string
	for _, e := range k.entities {
		out = append(out, fingerprint(e.PrimaryKey.Fingerprint))
	}
	return out
}

func fingerprint(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }

// readSecretKey reads one exported secret key (gpg --export-secret-keys,
// armored or not) and unlocks it with passphrase where it is protected.
func readSecretKey(b []byte, passphrase []byte) (*openpgp.Entity, error) {
	var r io.Reader = bytes.NewReader(b) // binary: read as is
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("-----BEGIN")) {
		block, err := armor.Decode(bytes.NewReader(bytes.TrimSpace(b)))
		if err != nil {
			return nil, fmt.Errorf("%w: reading the secret key: %w", errdefs.ErrInvalidArgument, err)
		}
		r = block.Body
	}
	el, err := openpgp.ReadKeyRing(r)
	if err != nil {
		return nil, fmt.Errorf("%w: reading the secret key: %w", errdefs.ErrInvalidArgument, err)
	}
	var e *openpgp.Entity
	for _, c := range el {
		if c.PrivateKey != nil {
			if e != nil {
				return nil, fmt.Errorf("%w: the key file holds more than one secret key", errdefs.ErrInvalidArgument)
			}
			e = c
		}
	}
	if e == nil {
		return nil, fmt.Errorf("%w: the key file holds no secret key (export it with gpg --export-secret-keys)", errdefs.ErrInvalidArgument)
	}
	if e.PrivateKey.Encrypted || anySubkeyEncrypted(e) {
		if len(passphrase) == 0 {
			return nil, fmt.Errorf("%w: the secret key is protected by a passphrase: give it with a passphrase file", errdefs.ErrInvalidArgument)
		}
		if err := e.DecryptPrivateKeys(passphrase); err != nil {
			return nil, denied("unlocking the secret key: wrong passphrase")
		}
	}
	if e.Revoked(now()) {
		return nil, denied("the secret key %s is revoked", fingerprint(e.PrimaryKey.Fingerprint))
	}
	if _, ok := e.SigningKey(now()); !ok {
		return nil, denied("the secret key %s has no valid signing key (expired or revoked?)", fingerprint(e.PrimaryKey.Fingerprint))
	}
	return e, nil
}

func anySubkeyEncrypted(e *openpgp.Entity) bool {
	for _, s := range e.Subkeys {
		if s.PrivateKey != nil && s.PrivateKey.Encrypted {
			return true
		}
	}
	return false
}
