package signature

import (
	"testing"

	"github.com/opencontainers/go-digest"
)

// FuzzParsePayload: any bytes give a payload or an error, never a panic,
// and an accepted payload survives a round trip.
func FuzzParsePayload(f *testing.F) {
	f.Add([]byte(`{"critical":{"type":"atomic container signature","image":{"docker-manifest-digest":"sha256:0123456789012345678901234567890123456789012345678901234567890123"},"identity":{"docker-reference":"example.com/a:1"}},"optional":{"creator":"x","timestamp":1}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePayload(b)
		if err != nil {
			return
		}
		again, err := p.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		q, err := ParsePayload(again)
		if err != nil || q.ManifestDigest != p.ManifestDigest || q.DockerReference != p.DockerReference {
			t.Fatalf("round trip: %+v, %v; want %+v", q, err, p)
		}
	})
}

// FuzzReadUntrusted: any bytes read as a signature give an error, or a
// result naming a valid digest, never a panic.
func FuzzReadUntrusted(f *testing.F) {
	f.Add([]byte("\xa3\x01garbage"))
	f.Fuzz(func(t *testing.T, b []byte) {
		u, err := ReadUntrusted(b)
		if err == nil && (u == nil || digest.Digest(u.UntrustedDockerManifestDigest).Validate() != nil) {
			t.Fatalf("accepted %+v", u)
		}
	})
}
