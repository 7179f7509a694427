package sigstore

import (
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

// bundleJSON is the part of a Sigstore bundle a key-based check reads.
type bundleJSON struct {
	MediaType    string `json:"mediaType"`
	DSSEEnvelope *struct {
		Payload     string `json:"payload"`
		PayloadType string `json:"payloadType"`
		Signatures  []struct {
			Sig string `json:"sig"`
		} `json:"signatures"`
	} `json:"dsseEnvelope"`
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
// digest man: its DSSE envelope must be signed by one of t's keys (over
// DSSE's pre-authentication encoding) and hold a cosign signing statement
// whose subject is man. Only key-based trust is supported: a bundle's
// Rekor entry and Fulcio certificate are not checked offline yet, so a
// Trust that asks for them refuses bundles. A bundle of an attestation
// returns ErrNotSignature. Refusals match errdefs.ErrDenied.
func VerifyBundle(b []byte, man digest.Digest, t Trust) error {
	var bj bundleJSON
	if err := json.Unmarshal(b, &bj); err != nil {
		return denied("parsing the Sigstore bundle: %v", err)
	}
	if !strings.HasPrefix(bj.MediaType, "application/vnd.dev.sigstore.bundle") {
		return denied("unknown Sigstore bundle media type %q", bj.MediaType)
	}
	if t.Fulcio != nil || t.PKI != nil || len(t.RekorKeys) > 0 {
		return denied("Sigstore bundle signatures are verified only with public keys (no fulcio, pki or rekorPublicKey yet)")
	}
	env := bj.DSSEEnvelope
	if env == nil {
		return denied("the Sigstore bundle holds no DSSE envelope (a message signature names no image)")
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return denied("base64 decoding the DSSE payload: %v", err)
	}
	if len(env.Signatures) == 0 {
		return denied("the DSSE envelope holds no signature")
	}
	pae := dssePAE(env.PayloadType, payload)
	var failures []string
	verified := false
	for _, s := range env.Signatures {
		raw, err := base64.StdEncoding.DecodeString(s.Sig)
		if err != nil {
			failures = append(failures, "base64 decoding: "+err.Error())
			continue
		}
		if err := verifyAny(t.Keys, pae, raw); err != nil {
			failures = append(failures, err.Error())
			continue
		}
		verified = true
		break
	}
	if !verified {
		return denied("%s", strings.Join(failures, "; "))
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

// subjectMatches accepts a statement one of whose subjects has man's
// digest.
func subjectMatches(st statement, man digest.Digest) error {
	if err := man.Validate(); err != nil {
		return denied("manifest digest: %v", err)
	}
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
