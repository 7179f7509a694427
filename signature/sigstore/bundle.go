package sigstore

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/opencontainers/go-digest"
)

// BundleArtifactType is the artifact type of the OCI referrer cosign 3
// stores an image's signature in by default: a manifest whose one layer
// is a Sigstore bundle (protobuf-specs' JSON form).
const BundleArtifactType = "application/vnd.dev.sigstore.bundle.v0.3+json"

// cosignSignPredicate is the predicate type of the in-toto statement
// cosign sign puts in a bundle; attestations (cosign attest) carry others
// and are not signatures, as with the legacy .sig tag's media type.
const cosignSignPredicate = "https://sigstore.dev/cosign/sign/v1"

// bundleJSON is the part of a Sigstore bundle (v0.1 to v0.3) that is
// checked: the signer's certificate and the Rekor entries, and either a
// DSSE envelope or a message signature.
type bundleJSON struct {
	MediaType            string               `json:"mediaType"`
	VerificationMaterial verificationMaterial `json:"verificationMaterial"`
	DSSEEnvelope         *struct {
		Payload     string `json:"payload"`
		PayloadType string `json:"payloadType"`
		Signatures  []struct {
			Sig string `json:"sig"`
		} `json:"signatures"`
	} `json:"dsseEnvelope"`
	MessageSignature *struct {
		MessageDigest struct {
			Algorithm string `json:"algorithm"`
			Digest    []byte `json:"digest"`
		} `json:"messageDigest"`
		Signature []byte `json:"signature"`
	} `json:"messageSignature"`
}

// statement is the in-toto statement a DSSE bundle signs.
type statement struct {
	Type          string `json:"_type"`
	PredicateType string `json:"predicateType"`
	Subject       []struct {
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
}

// VerifyBundle checks a Sigstore bundle attached to the manifest with
// digest man, offline, under t as VerifyManifest checks a .sig signature:
// the signature must verify with a key t trusts (for Fulcio, the
// certificate's key, valid when Rekor logged the signature; with Rekor
// keys, a log entry recording it) and must be for man. A DSSE bundle
// (cosign sign) holds an in-toto statement whose subject is man; a
// message-signature bundle (cosign sign-blob over the manifest's bytes)
// signs man's digest itself. A bundle of an attestation returns
// ErrNotSignature. Refusals match errdefs.ErrDenied.
func VerifyBundle(b []byte, man digest.Digest, t Trust) error {
	var bj bundleJSON
	if err := json.Unmarshal(b, &bj); err != nil {
		return denied("parsing the Sigstore bundle: %v", err)
	}
	if !strings.HasPrefix(bj.MediaType, "application/vnd.dev.sigstore.bundle") {
		return denied("unknown Sigstore bundle media type %q", bj.MediaType)
	}
	if err := man.Validate(); err != nil {
		return denied("manifest digest: %v", err)
	}
	switch {
	case bj.DSSEEnvelope != nil && bj.MessageSignature == nil:
		return bj.verifyDSSE(man, t)
	case bj.MessageSignature != nil && bj.DSSEEnvelope == nil:
		return bj.verifyMessage(man, t)
	}
	return denied("the Sigstore bundle must hold either a DSSE envelope or a message signature")
}

// verifyDSSE checks a bundle's DSSE envelope: one signature over DSSE's
// pre-authentication encoding, then the statement's predicate and subject.
func (bj *bundleJSON) verifyDSSE(man digest.Digest, t Trust) error {
	env := bj.DSSEEnvelope
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return denied("base64 decoding the DSSE payload: %v", err)
	}
	if len(env.Signatures) != 1 {
		return denied("the DSSE envelope holds %d signatures, want 1", len(env.Signatures))
	}
	sig, err := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
	if err != nil {
		return denied("base64 decoding the DSSE signature: %v", err)
	}
	sum := sha256.Sum256(payload)
	keys, err := t.bundleKeys(&bj.VerificationMaterial, logged{kind: kindDSSE, sig: sig, sum: sum[:]})
	if err != nil {
		return err
	}
	if err := verifyAny(keys, dssePAE(env.PayloadType, payload), sig); err != nil {
		return err
	}
	if env.PayloadType != "application/vnd.in-toto+json" {
		return denied("unexpected DSSE payload type %q", env.PayloadType)
	}
	var st statement
	if err := json.Unmarshal(payload, &st); err != nil {
		return denied("parsing the in-toto statement: %v", err)
	}
	if st.PredicateType != cosignSignPredicate {
		return fmt.Errorf("%w: in-toto predicate %q", ErrNotSignature, st.PredicateType)
	}
	return subjectMatches(st, man)
}

// verifyMessage checks a message-signature bundle: its digest must be
// man's (a signature over the manifest's bytes), signed by a trusted key.
func (bj *bundleJSON) verifyMessage(man digest.Digest, t Trust) error {
	ms := bj.MessageSignature
	if ms.MessageDigest.Algorithm != "SHA2_256" || len(ms.MessageDigest.Digest) != sha256.Size {
		return denied("unsupported message digest %s of %d bytes in the Sigstore bundle", ms.MessageDigest.Algorithm, len(ms.MessageDigest.Digest))
	}
	keys, err := t.bundleKeys(&bj.VerificationMaterial, logged{kind: kindHashedRekord, sig: ms.Signature, sum: ms.MessageDigest.Digest})
	if err != nil {
		return err
	}
	if err := verifyDigestAny(keys, ms.MessageDigest.Digest, ms.Signature); err != nil {
		return err
	}
	if got := digest.NewDigestFromBytes(digest.SHA256, ms.MessageDigest.Digest); got != man {
		return denied("Signature for digest %s does not match", got)
	}
	return nil
}

// subjectMatches accepts a statement one of whose subjects has man's
// digest.
func subjectMatches(st statement, man digest.Digest) error {
	var named []string
	for _, s := range st.Subject {
		for alg, hex := range s.Digest {
			if alg == man.Algorithm().String() && hex == man.Encoded() {
				return nil
			}
			named = append(named, alg+":"+hex)
		}
	}
	return denied("Signature for digest %s does not match", strings.Join(named, ", "))
}

// dssePAE is DSSE's pre-authentication encoding, what a DSSE signature
// signs: "DSSEv1 LEN(type) type LEN(body) body".
func dssePAE(payloadType string, payload []byte) []byte {
	s := "DSSEv1 " + strconv.Itoa(len(payloadType)) + " " + payloadType + " " + strconv.Itoa(len(payload)) + " "
	return append([]byte(s), payload...)
}
