package sigstore

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
)

// FuzzParsePayload: any bytes give a payload or an error, never a panic,
// and an accepted payload survives a round trip.
func FuzzParsePayload(f *testing.F) {
	f.Add([]byte(`{"critical":{"identity":{"docker-reference":"example.com/a"},"image":{"docker-manifest-digest":"sha256:0123456789012345678901234567890123456789012345678901234567890123"},"type":"cosign container image signature"},"optional":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePayload(b)
		if err != nil {
			return
		}
		again, err := p.MarshalJSON()
		if err != nil {
			return // an empty reference parses but is not written
		}
		q, err := ParsePayload(again)
		if err != nil || q.ManifestDigest != p.ManifestDigest || q.DockerReference != p.DockerReference {
			t.Fatalf("round trip: %+v, %v; want %+v", q, err, p)
		}
	})
}

// fuzzKey is a fixed P-256 key: it only verifies here, so a trivial
// scalar does.
func fuzzKey() *ecdsa.PrivateKey {
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), append(make([]byte, 31), 7))
	if err != nil {
		panic(err)
	}
	return k
}

// FuzzVerifyManifest: any signature blob is refused or verified, never a
// panic, and one that verifies names the manifest.
func FuzzVerifyManifest(f *testing.F) {
	k := fuzzKey()
	f.Add([]byte("\x00sigstore-json\n{\"mimeType\":\"application/vnd.dev.cosign.simplesigning.v1+json\",\"payload\":\"e30=\",\"annotations\":{\"dev.cosignproject.cosign/signature\":\"AAAA\"}}"))
	f.Add([]byte("\xa3simple"))
	trust := Trust{Keys: []crypto.PublicKey{k.Public()}}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := VerifyManifest(b, testManifest, trust)
		if err == nil && p.ManifestDigest != digest.FromBytes(testManifest) {
			t.Fatalf("accepted a signature for %s", p.ManifestDigest)
		}
	})
}

// FuzzRekorSET: any SET is refused or checked, never a panic.
func FuzzRekorSET(f *testing.F) {
	k := fuzzKey()
	f.Add([]byte(`{"SignedEntryTimestamp":"AAAA","Payload":{"body":"e30=","integratedTime":1,"logIndex":2,"logID":"ab"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		at, err := VerifyRekorSET([]*ecdsa.PublicKey{&k.PublicKey}, b, []byte("-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----\n"), "AAAA", []byte("{}"))
		if err == nil && at.Before(time.Unix(0, 0)) {
			t.Fatalf("accepted a SET integrated at %v", at)
		}
	})
}

// FuzzVerifyBundle: a bundle nobody signed is refused under a key and a
// Rekor key (log entries, inclusion proofs and checkpoints parsed), never
// a panic; a proof walk gives a SHA-256 root or an error.
func FuzzVerifyBundle(f *testing.F) {
	k := fuzzKey()
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"tlogEntries":[{"logIndex":"1","integratedTime":"2","canonicalizedBody":"e30=","inclusionProof":{"logIndex":"3","treeSize":"7","rootHash":"AAAA","hashes":["AAAA"],"checkpoint":{"envelope":"o\n7\nAAAA\n\n\u2014 o AAAAAAAA\n"}}}]},"messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":"AAAA"},"signature":"AAAA"}}`))
	trust := Trust{Keys: []crypto.PublicKey{k.Public()}, RekorKeys: []*ecdsa.PublicKey{&k.PublicKey}}
	man := digest.FromBytes(testManifest)
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := VerifyBundle(b, man, trust); err == nil {
			t.Fatal("accepted a bundle the key never signed")
		}
		if r, err := rootFromProof(int64(len(b)%9)-1, int64(len(b)%7), b, [][]byte{b, b}); err == nil && len(r) != 32 {
			t.Fatalf("a root of %d bytes", len(r))
		}
	})
}
