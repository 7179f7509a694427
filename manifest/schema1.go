package manifest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/opencontainers/go-digest"
)

// Schema1 is Docker's legacy image manifest, read for inspect only.
type Schema1 struct {
	SchemaVersion int    `json:"schemaVersion"`
	Name          string `json:"name"`
	Tag           string `json:"tag"`
	Architecture  string `json:"architecture"`
	FSLayers      []struct {
		BlobSum digest.Digest `json:"blobSum"`
	} `json:"fsLayers"`
	History []struct {
		V1Compatibility string `json:"v1Compatibility"`
	} `json:"history"`
}

// ParseSchema1 decodes a Docker schema-1 manifest, signed or not.
func ParseSchema1(b []byte) (*Schema1, error) {
	var m Schema1
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: %v", errdefs.ErrInvalidManifest, err)
	}
	if m.SchemaVersion != 1 {
		return nil, fmt.Errorf("%w: schemaVersion %d, want 1", errdefs.ErrInvalidManifest, m.SchemaVersion)
	}
	return &m, nil
}

// Digest computes a manifest's digest as registries do. For a signed
// schema-1 manifest that is the digest of the payload without its JWS
// signatures (Docker Registry API v2, "Content Digests"); for everything
// else it is the digest of the bytes as they are.
func Digest(b []byte) (digest.Digest, error) {
	if Detect(b) == MediaTypeDockerSchema1Sig {
		payload, err := schema1Payload(b)
		if err != nil {
			return "", err
		}
		return digest.FromBytes(payload), nil
	}
	return digest.FromBytes(b), nil
}

// schema1Payload rebuilds the signed bytes of a JWS-signed schema-1 manifest:
// the document cut at formatLength, followed by formatTail, both taken
// from the first signature's protected header.
func schema1Payload(b []byte) ([]byte, error) {
	var doc struct {
		Signatures []struct {
			Protected string `json:"protected"`
		} `json:"signatures"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || len(doc.Signatures) == 0 {
		return nil, fmt.Errorf("%w: schema-1 manifest has no signatures", errdefs.ErrInvalidManifest)
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(doc.Signatures[0].Protected, "="))
	if err != nil {
		return nil, fmt.Errorf("%w: schema-1 protected header: %v", errdefs.ErrInvalidManifest, err)
	}
	var hdr struct {
		FormatLength int    `json:"formatLength"`
		FormatTail   string `json:"formatTail"`
	}
	if err := json.Unmarshal(raw, &hdr); err != nil {
		return nil, fmt.Errorf("%w: schema-1 protected header: %v", errdefs.ErrInvalidManifest, err)
	}
	tail, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(hdr.FormatTail, "="))
	if err != nil {
		return nil, fmt.Errorf("%w: schema-1 formatTail: %v", errdefs.ErrInvalidManifest, err)
	}
	if hdr.FormatLength <= 0 || hdr.FormatLength > len(b) {
		return nil, fmt.Errorf("%w: schema-1 formatLength %d out of range", errdefs.ErrInvalidManifest, hdr.FormatLength)
	}
	out := make([]byte, 0, hdr.FormatLength+len(tail))
	out = append(out, b[:hdr.FormatLength]...)
	return append(out, tail...), nil
}
