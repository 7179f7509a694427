package sigstore

import (
	"crypto"
	"crypto/ecdsa"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/signature"
)

// ErrNotSignature marks a sigstore attachment that is not a signature (its
// media type is not MIMEType): skipped by verification, not refused.
var ErrNotSignature = fmt.Errorf("%w: not a sigstore signature", errdefs.ErrInvalidArgument)

// Trust is what sigstore signatures are checked against, policy.json's
// sigstoreSigned: public Keys, a Fulcio CA for keyless signatures (which
// needs RekorKeys), or an organisation's PKI. RekorKeys with Keys additionally require each
// signature to carry a Rekor SET for that key.
type Trust struct {
	Keys      []crypto.PublicKey
	Fulcio    *Fulcio
	PKI       *PKI
	RekorKeys []*ecdsa.PublicKey
}

// VerifyManifest checks a sigstore signature blob against man: the
// signature annotation must verify over the payload with a key t trusts
// (for Fulcio, the certificate's key, valid when Rekor logged it), and
// the payload must name man's digest. It returns the payload, whose
// identity the caller judges (policy signedIdentity rules). Refusals match
// errdefs.ErrDenied and read as containers/image words them.
func VerifyManifest(blob, man []byte, t Trust) (*Payload, error) {
	sig, err := FromBlob(blob)
	if err != nil {
		return nil, err
	}
	if sig.MIMEType != MIMEType {
		return nil, fmt.Errorf("%w: media type %q", ErrNotSignature, sig.MIMEType)
	}
	b64, ok := sig.Annotations[SignatureAnnotation]
	if !ok {
		return nil, denied("missing %s annotation", SignatureAnnotation)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, denied("base64 decoding: %v", err)
	}
	keys, err := t.signerKeys(sig, b64)
	if err != nil {
		return nil, err
	}
	if err := verifyAny(keys, sig.Payload, raw); err != nil {
		return nil, err
	}
	p, err := ParsePayload(sig.Payload)
	if err != nil {
		return nil, denied("%v", err)
	}
	ok, err = signature.MatchesDigest(man, p.ManifestDigest)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, denied("Signature for digest %s does not match", p.ManifestDigest)
	}
	return &p, nil
}

// signerKeys is the keys a signature may be verified with under t.
func (t Trust) signerKeys(sig Signature, b64 string) ([]crypto.PublicKey, error) {
	switch {
	case t.Fulcio != nil:
		if len(t.RekorKeys) == 0 {
			return nil, denied("a Fulcio CA is trusted only with a Rekor public key")
		}
		set, ok := sig.Annotations[BundleAnnotation]
		if !ok {
			return nil, denied("missing %s annotation", BundleAnnotation)
		}
		cert, ok := sig.Annotations[CertificateAnnotation]
		if !ok {
			return nil, denied("missing %s annotation", CertificateAnnotation)
		}
		at, err := VerifyRekorSET(t.RekorKeys, []byte(set), []byte(cert), b64, sig.Payload)
		if err != nil {
			return nil, err
		}
		k, err := t.Fulcio.verifyCertificate(at, []byte(cert), []byte(sig.Annotations[ChainAnnotation]))
		if err != nil {
			return nil, err
		}
		return []crypto.PublicKey{k}, nil
	case t.PKI != nil:
		cert, ok := sig.Annotations[CertificateAnnotation]
		if !ok {
			return nil, denied("missing %s annotation", CertificateAnnotation)
		}
		k, err := t.PKI.verifyCertificate([]byte(cert), []byte(sig.Annotations[ChainAnnotation]))
		if err != nil {
			return nil, err
		}
		return []crypto.PublicKey{k}, nil
	case len(t.RekorKeys) > 0:
		set, ok := sig.Annotations[BundleAnnotation]
		if !ok {
			return nil, denied("missing %s annotation", BundleAnnotation)
		}
		var failures []string
		for _, k := range t.Keys {
			pemKey, err := MarshalPublicKey(k)
			if err != nil {
				return nil, err
			}
			if _, err := VerifyRekorSET(t.RekorKeys, []byte(set), pemKey, b64, sig.Payload); err != nil {
				failures = append(failures, err.Error())
				continue
			}
			return []crypto.PublicKey{k}, nil // a SET records one key
		}
		return nil, denied("No public key verified against the RekorSET: %s", strings.Join(failures, ", "))
	}
	return t.Keys, nil
}

// verifyAny accepts a signature that one of keys verifies.
func verifyAny(keys []crypto.PublicKey, payload, sig []byte) error {
	if len(keys) == 0 {
		return denied("Need at least one public key to verify the sigstore payload, but got 0")
	}
	var failures []string
	for _, k := range keys {
		err := verifyBytes(k, payload, sig)
		if err == nil {
			return nil
		}
		failures = append(failures, err.Error())
	}
	return denied("cryptographic signature verification failed: %s", strings.Join(failures, ", "))
}

// denied is a refusal that matches errdefs.ErrDenied and reads as the
// reason alone (callers prefix "Source image rejected: ").
func denied(format string, a ...any) error {
	return &deniedError{msg: fmt.Sprintf(format, a...)}
}

type deniedError struct{ msg string }

func (d *deniedError) Error() string        { return d.msg }
func (d *deniedError) Is(target error) bool { return target == errdefs.ErrDenied }
