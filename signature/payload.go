// Package signature implements containers' simple signing
// (containers-signature(5)): a JSON payload naming a manifest digest and a
// Docker reference, inside a binary OpenPGP signed message. Verification
// and key-file signing are pure Go (github.com/ProtonMail/go-crypto);
// signing with a key held by gpg-agent drives the user's own gpg binary.
package signature

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ferrytool/ferry/internal/strictjson"
	"github.com/opencontainers/go-digest"
)

// SignatureType is critical.type of every simple signing payload.
const SignatureType = "atomic container signature"

// Payload is what a simple signature asserts: the manifest with digest
// ManifestDigest is the image DockerReference names.
type Payload struct {
	ManifestDigest  digest.Digest
	DockerReference string
	// Creator and Timestamp (seconds since the epoch) are optional and not
	// covered by any policy decision.
	Creator   string
	Timestamp *int64
}

// MarshalJSON writes the payload in containers-signature(5)'s layout.
func (p Payload) MarshalJSON() ([]byte, error) { return p.MarshalTyped(SignatureType) }

// MarshalTyped writes the payload with critical.type typ: the layout
// simple signing and sigstore payloads share.
func (p Payload) MarshalTyped(typ string) ([]byte, error) {
	optional := map[string]any{}
	if p.Creator != "" {
		optional["creator"] = p.Creator
	}
	if p.Timestamp != nil {
		optional["timestamp"] = *p.Timestamp
	}
	return json.Marshal(map[string]any{
		"critical": map[string]any{
			"type":     typ,
			"image":    map[string]string{"docker-manifest-digest": p.ManifestDigest.String()},
			"identity": map[string]string{"docker-reference": p.DockerReference},
		},
		"optional": optional,
	})
}

// ParsePayload reads a payload strictly: every critical member present
// and known (an unknown critical member may restrict the signature in a
// way this reader does not understand), none twice. Unknown optional
// members are ignored, as the format says.
func ParsePayload(b []byte) (Payload, error) {
	p, err := parsePayload(b)
	if err != nil {
		return Payload{}, denied("invalid signature payload: %w", err)
	}
	return p, nil
}

func parsePayload(b []byte) (Payload, error) {
	var p Payload
	top, err := strictjson.Object(b)
	if err != nil {
		return p, err
	}
	if err := strictjson.Only(top, "critical", "optional"); err != nil {
		return p, err
	}
	if p.ManifestDigest, p.DockerReference, err = ParseCritical(top, SignatureType); err != nil {
		return p, err
	}
	opt, ok, err := strictjson.Sub(top, "optional")
	if err != nil {
		return p, err
	}
	if !ok {
		return p, errors.New(`"optional" is missing`)
	}
	if p.Creator, _, err = strictjson.String(opt, "creator"); err != nil {
		return p, fmt.Errorf("optional: %w", err)
	}
	if raw, ok := opt["timestamp"]; ok {
		var ts int64
		if err := json.Unmarshal(raw, &ts); err != nil {
			return p, errors.New(`optional: "timestamp" must be an integer`)
		}
		p.Timestamp = &ts
	}
	return p, nil
}

// ParseCritical reads the "critical" member of a payload's top object, as
// simple signing and sigstore payloads share it: exactly type (which must
// be wantType), image.docker-manifest-digest and
// identity.docker-reference.
func ParseCritical(top map[string]json.RawMessage, wantType string) (digest.Digest, string, error) {
	crit, ok, err := strictjson.Sub(top, "critical")
	if err != nil {
		return "", "", err
	}
	if !ok {
		return "", "", errors.New(`"critical" is missing`)
	}
	if err := strictjson.Only(crit, "type", "image", "identity"); err != nil {
		return "", "", fmt.Errorf("critical: %w", err)
	}
	typ, ok, err := strictjson.String(crit, "type")
	if err != nil || !ok {
		return "", "", errors.New(`critical: "type" must be a string`)
	}
	if typ != wantType {
		return "", "", fmt.Errorf("Unrecognized signature type %s", typ)
	}
	img, ok, err := strictjson.Sub(crit, "image")
	if err != nil || !ok {
		return "", "", errors.New(`critical: "image" must be an object`)
	}
	if err := strictjson.Only(img, "docker-manifest-digest"); err != nil {
		return "", "", fmt.Errorf("critical.image: %w", err)
	}
	ds, ok, err := strictjson.String(img, "docker-manifest-digest")
	if err != nil || !ok {
		return "", "", errors.New(`critical.image: "docker-manifest-digest" must be a string`)
	}
	d, err := digest.Parse(ds)
	if err != nil {
		return "", "", fmt.Errorf("critical.image.docker-manifest-digest %q: %w", ds, err)
	}
	id, ok, err := strictjson.Sub(crit, "identity")
	if err != nil || !ok {
		return "", "", errors.New(`critical: "identity" must be an object`)
	}
	if err := strictjson.Only(id, "docker-reference"); err != nil {
		return "", "", fmt.Errorf("critical.identity: %w", err)
	}
	ref, ok, err := strictjson.String(id, "docker-reference")
	if err != nil || !ok {
		return "", "", errors.New(`critical.identity: "docker-reference" must be a string`)
	}
	return d, ref, nil
}
