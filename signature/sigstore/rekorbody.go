package sigstore

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
)

// The Rekor entry kinds a signature's log entry may be: hashedrekord 0.0.1
// records a signature over an artifact's digest (cosign's .sig
// signatures and message-signature bundles), dsse 0.0.1 a DSSE envelope's
// signature and its payload's digest (bundles holding an in-toto
// statement).
const (
	kindHashedRekord = "hashedrekord"
	kindDSSE         = "dsse"
)

// logged is what a log entry must record for a signature to count as
// logged: its kind, the DER of the signer's public key (PKIX) or
// certificate, the raw signature and the SHA-256 digest the body names
// (the artifact's for hashedrekord, the DSSE payload's for dsse).
type logged struct {
	kind   string
	signer []byte
	sig    []byte
	sum    []byte
}

// rekorBody is the part of a hashedrekord or dsse 0.0.1 entry body that
// is checked. Base64 members are []byte (encoding/json decodes them).
type rekorBody struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Spec       struct {
		// hashedrekord
		Data struct {
			Hash hashJSON `json:"hash"`
		} `json:"data"`
		Signature struct {
			Content   []byte `json:"content"`
			PublicKey struct {
				Content []byte `json:"content"` // PEM
			} `json:"publicKey"`
		} `json:"signature"`
		// dsse
		PayloadHash hashJSON `json:"payloadHash"`
		Signatures  []struct {
			Signature string `json:"signature"` // base64
			Verifier  []byte `json:"verifier"`  // PEM
		} `json:"signatures"`
	} `json:"spec"`
}

type hashJSON struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"value"` // hex
}

// records checks that e's body records want; the refusals name what
// differs as containers/image words them for SETs.
func (e *rekorEntry) records(want logged) error {
	var b rekorBody
	if err := json.Unmarshal(e.body, &b); err != nil {
		return denied("decoding the body of a Rekor SET payload: %v", err)
	}
	if b.Kind != want.kind || b.APIVersion != "0.0.1" {
		return denied("unsupported Rekor SET entry %s %s (want %s 0.0.1)", b.Kind, b.APIVersion, want.kind)
	}
	var signerPEM, sig []byte
	var h hashJSON
	switch b.Kind {
	case kindHashedRekord:
		signerPEM, sig, h = b.Spec.Signature.PublicKey.Content, b.Spec.Signature.Content, b.Spec.Data.Hash
	case kindDSSE:
		if len(b.Spec.Signatures) != 1 {
			return denied("Rekor dsse entry with %d signatures (want 1)", len(b.Spec.Signatures))
		}
		var err error
		if sig, err = base64.StdEncoding.DecodeString(b.Spec.Signatures[0].Signature); err != nil {
			return denied("decoding the signature in a Rekor dsse entry: %v", err)
		}
		signerPEM, h = b.Spec.Signatures[0].Verifier, b.Spec.PayloadHash
	}
	block, rest := pem.Decode(signerPEM)
	if block == nil || len(bytes.TrimSpace(rest)) != 0 {
		return denied("publicKey in Rekor SET is not one PEM block")
	}
	if !bytes.Equal(block.Bytes, want.signer) {
		return denied("publicKey in Rekor SET does not match")
	}
	if !bytes.Equal(sig, want.sig) {
		return denied("signature in Rekor SET does not match")
	}
	if h.Algorithm != "sha256" {
		return denied("unexpected data.hash.algorithm %q in Rekor SET", h.Algorithm)
	}
	if got, err := hex.DecodeString(h.Value); err != nil || !bytes.Equal(got, want.sum) {
		return denied("payload in Rekor SET does not match")
	}
	return nil
}
