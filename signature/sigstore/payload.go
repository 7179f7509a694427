package sigstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/ferrytool/ferry/internal/strictjson"
	"github.com/ferrytool/ferry/signature"
	"github.com/opencontainers/go-digest"
)

// PayloadType is critical.type of a sigstore payload.
const PayloadType = "cosign container image signature"

// Payload is what a sigstore signature asserts: the manifest with digest
// ManifestDigest is the image DockerReference names (cosign names the
// repository alone; containers/image the full reference).
type Payload struct {
	ManifestDigest  digest.Digest
	DockerReference string
	// Creator and Timestamp (seconds since the epoch) are optional and
	// covered by no policy decision.
	Creator   string
	Timestamp *int64
}

// MarshalJSON writes the payload as containers/image writes it.
func (p Payload) MarshalJSON() ([]byte, error) {
	if p.ManifestDigest == "" || p.DockerReference == "" {
		return nil, errors.New("sigstore payload without a digest or a reference")
	}
	return signature.Payload(p).MarshalTyped(PayloadType)
}

// ParsePayload reads a payload as containers/image does: "critical" and
// "optional" only; every critical member present, known and once;
// "optional" null (as cosign writes it) or an object whose unknown
// members are ignored.
func ParsePayload(b []byte) (Payload, error) {
	var p Payload
	top, err := strictjson.Object(b)
	if err != nil {
		return p, err
	}
	if err := strictjson.Only(top, "critical", "optional"); err != nil {
		return p, err
	}
	rawOpt, ok := top["optional"]
	if !ok {
		return p, errors.New(`"optional" is missing`)
	}
	if string(rawOpt) != "null" {
		opt, err := strictjson.Object(rawOpt)
		if err != nil {
			return p, fmt.Errorf("optional: %w", err)
		}
		if p.Creator, _, err = strictjson.String(opt, "creator"); err != nil {
			return p, fmt.Errorf("optional: %w", err)
		}
		if raw, ok := opt["timestamp"]; ok {
			var f float64
			if err := json.Unmarshal(raw, &f); err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<62 {
				return p, errors.New("Field optional.timestamp is not an integer")
			}
			ts := int64(f)
			p.Timestamp = &ts
		}
	}
	if p.ManifestDigest, p.DockerReference, err = signature.ParseCritical(top, PayloadType); err != nil {
		return p, err
	}
	return p, nil
}
