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
func (p Payload) MarshalJSON() ([]byte, error) {
	optional := map[string]any{}
	if p.Creator != "" {
		optional["creator"] = p.Creator
	}
	if p.Timestamp != nil {
		optional["timestamp"] = *p.Timestamp
	}
	return json.Marshal(map[string]any{
		"critical": map[string]any{
			"type":     SignatureType,
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
	crit, ok, err := strictjson.Sub(top, "critical")
	if err != nil {
		return p, err
	}
	if !ok {
		return p, errors.New(`"critical" is missing`)
	}
	if err := strictjson.Only(crit, "type", "image", "identity"); err != nil {
		return p, fmt.Errorf("critical: %w", err)
	}
	typ, ok, err := strictjson.String(crit, "type")
	if err != nil || !ok {
		return p, errors.New(`critical: "type" must be a string`)
	}
	if typ != SignatureType {
		return p, fmt.Errorf("Unrecognized signature type %s", typ)
	}
	img, ok, err := strictjson.Sub(crit, "image")
	if err != nil || !ok {
		return p, errors.New(`critical: "image" must be an object`)
	}
	if err := strictjson.Only(img, "docker-manifest-digest"); err != nil {
		return p, fmt.Errorf("critical.image: %w", err)
	}
	d, ok, err := strictjson.String(img, "docker-manifest-digest")
	if err != nil || !ok {
		return p, errors.New(`critical.image: "docker-manifest-digest" must be a string`)
	}
	if p.ManifestDigest, err = digest.Parse(d); err != nil {
		return p, fmt.Errorf("critical.image.docker-manifest-digest %q: %w", d, err)
	}
	id, ok, err := strictjson.Sub(crit, "identity")
	if err != nil || !ok {
		return p, errors.New(`critical: "identity" must be an object`)
	}
	if err := strictjson.Only(id, "docker-reference"); err != nil {
		return p, fmt.Errorf("critical.identity: %w", err)
	}
	if p.DockerReference, ok, err = strictjson.String(id, "docker-reference"); err != nil || !ok {
		return p, errors.New(`critical.identity: "docker-reference" must be a string`)
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
