package policy

import (
	"crypto"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/signature/sigstore"
	"github.com/ferrytool/ferry/transport"
)

// checkSigstore accepts the image when one of its sigstore signatures is
// by a key of r, for its manifest, with an identity r accepts, as
// containers/image's prSigstoreSigned decides. Simple signing signatures
// and attachments that are not signatures (attestations) do not count.
func (e *Evaluator) checkSigstore(r *SigstoreSigned, src transport.Reference, img copier.Instance) error {
	switch {
	case r.Fulcio != nil:
		return denied("sigstoreSigned with fulcio is not evaluated by this version of ferry (keyPath, keyPaths, keyData and keyDatas are)")
	case r.PKI != nil:
		return denied("sigstoreSigned with pki is not evaluated by this version of ferry (keyPath, keyPaths, keyData and keyDatas are)")
	}
	if r.rekorKeysSet() {
		return denied("sigstoreSigned with a Rekor public key is not evaluated by this version of ferry (signatures checked by key alone are)")
	}
	keys, err := e.sigstoreKeys(r)
	if err != nil {
		return err
	}
	var reasons []string
	nonSigstore, nonSignatures := 0, 0
	for _, sig := range img.Signatures {
		if !sigstore.IsBlob(sig) {
			nonSigstore++
			continue
		}
		p, err := sigstore.VerifyManifest(sig, img.Manifest, keys)
		if errors.Is(err, sigstore.ErrNotSignature) {
			nonSignatures++
			continue
		}
		if err != nil {
			reasons = append(reasons, err.Error())
			continue
		}
		if !r.SignedIdentity.matches(src.DockerReference(), p.DockerReference) {
			reasons = append(reasons, fmt.Sprintf("Signature for identity %q is not accepted", p.DockerReference))
			continue
		}
		return nil
	}
	switch len(reasons) {
	case 0:
		if nonSigstore+nonSignatures == 0 {
			return denied("A signature was required, but no signature exists")
		}
		return denied("A signature was required, but no signature exists (%d non-sigstore signatures, %d sigstore non-signature attachments)", nonSigstore, nonSignatures)
	case 1:
		return denied("%s", reasons[0])
	}
	return denied("None of the signatures were accepted, reasons: %s", strings.Join(reasons, "; "))
}

func (r *SigstoreSigned) rekorKeysSet() bool {
	return r.RekorPublicKeyPath != "" || r.RekorPublicKeyData != "" || len(r.RekorPublicKeyPaths) > 0 || len(r.RekorPublicKeyDatas) > 0
}

// sigstoreKeys loads the public keys of r once.
func (e *Evaluator) sigstoreKeys(r *SigstoreSigned) ([]crypto.PublicKey, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if k, ok := e.sigstore[r]; ok {
		return k.keys, k.err
	}
	k, err := loadSigstoreKeys(r)
	e.sigstore[r] = sigstoreKeysOrErr{k, err}
	return k, err
}

type sigstoreKeysOrErr struct {
	keys []crypto.PublicKey
	err  error
}

// loadSigstoreKeys reads the PEM public keys keyPath, keyPaths, keyData
// or keyDatas (base64 of the PEM) name.
func loadSigstoreKeys(r *SigstoreSigned) ([]crypto.PublicKey, error) {
	var pems [][]byte
	for _, p := range append(nonEmpty(r.KeyPath), r.KeyPaths...) {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("%w: reading the policy's public key: %w", errdefs.ErrInvalidArgument, err)
		}
		pems = append(pems, b)
	}
	for _, d := range append(nonEmpty(r.KeyData), r.KeyDatas...) {
		b, err := base64.StdEncoding.DecodeString(d)
		if err != nil {
			return nil, fmt.Errorf("%w: keyData is not base64: %v", errdefs.ErrInvalidArgument, err)
		}
		pems = append(pems, b)
	}
	var keys []crypto.PublicKey
	for i, b := range pems {
		k, err := sigstore.ParsePublicKey(b)
		if err != nil {
			return nil, fmt.Errorf("parsing public key %d: %w", i+1, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
