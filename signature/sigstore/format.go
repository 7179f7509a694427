// Package sigstore implements sigstore signatures as containers/image and
// cosign make them for container images: a JSON payload naming a
// manifest digest and a Docker reference ("cosign container image
// signature"), signed with a private key (ECDSA P-256 with SHA-256 for the
// keys ferry and cosign generate), the base64 signature kept in an
// annotation beside the payload. Keys are read and written in cosign's
// encrypted PEM format. Everything is pure Go.
//
// A signature travels through ferry as a blob in containers/image's
// storage form: a zero byte, "sigstore-json", a newline, then
// {"mimeType","payload","annotations"}. dir: keeps that blob in its
// signature-N files; a registry keeps the payload as a layer of the
// sha256-HEX.sig attachment manifest (see package transport/docker).
package sigstore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"

	"github.com/ferrytool/ferry/errdefs"
)

// Names cosign and containers/image use.
const (
	// MIMEType is the media type of a signature payload (and of the
	// attachment layer holding it).
	MIMEType = "application/vnd.dev.cosign.simplesigning.v1+json"
	// SignatureAnnotation holds the base64 signature of the payload.
	SignatureAnnotation = "dev.cosignproject.cosign/signature"
	// CertificateAnnotation, ChainAnnotation and BundleAnnotation hold a
	// Fulcio certificate, its intermediate chain and a Rekor signed entry
	// timestamp, for keyless signatures.
	CertificateAnnotation = "dev.sigstore.cosign/certificate"
	ChainAnnotation       = "dev.sigstore.cosign/chain"
	BundleAnnotation      = "dev.sigstore.cosign/bundle"
)

// blobHeader starts every sigstore signature blob.
var blobHeader = []byte("\x00sigstore-json\n")

// Signature is one sigstore signature as stored: untrusted until verified.
type Signature struct {
	MIMEType    string
	Payload     []byte
	Annotations map[string]string
}

type jsonForm struct {
	MIMEType    string            `json:"mimeType"`
	Payload     []byte            `json:"payload"` // base64 in JSON
	Annotations map[string]string `json:"annotations"`
}

// IsBlob reports whether b is a sigstore signature blob (rather than a
// simple signing OpenPGP message or another format).
func IsBlob(b []byte) bool { return bytes.HasPrefix(b, blobHeader) }

// Blob is s in storage form.
func (s Signature) Blob() ([]byte, error) {
	j, err := json.Marshal(jsonForm{MIMEType: s.MIMEType, Payload: s.Payload, Annotations: s.Annotations})
	if err != nil {
		return nil, err
	}
	return append(append([]byte{}, blobHeader...), j...), nil
}

// FromBlob reads a blob in storage form.
func FromBlob(b []byte) (Signature, error) {
	if !IsBlob(b) {
		return Signature{}, fmt.Errorf("%w: not a sigstore signature", errdefs.ErrInvalidArgument)
	}
	var j jsonForm
	if err := json.Unmarshal(b[len(blobHeader):], &j); err != nil {
		return Signature{}, fmt.Errorf("%w: invalid sigstore signature: %v", errdefs.ErrInvalidArgument, err)
	}
	return Signature{MIMEType: j.MIMEType, Payload: j.Payload, Annotations: maps.Clone(j.Annotations)}, nil
}
