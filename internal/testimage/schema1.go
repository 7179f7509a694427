package testimage

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/opencontainers/go-digest"
)

// Schema1 is a signed Docker schema-1 manifest ("Image Manifest Version 2,
// Schema 1"), the legacy format ferry reads but never writes.
type Schema1 struct {
	// Manifest is the signed document as a registry serves it.
	Manifest []byte
	// Payload is the document without its signatures: what was signed,
	// and what the manifest digest is computed over.
	Payload []byte
	Digest  digest.Digest
	// FSLayers are the blob sums in manifest order: newest layer first.
	FSLayers []digest.Digest
	// Blobs holds the layer bytes by digest.
	Blobs map[digest.Digest][]byte
}

// NewSchema1 builds a schema-1 manifest for name:tag with the given
// number of layers (the newest, first in fsLayers, carries the config in
// its v1Compatibility entry), signed as Docker's libtrust signs: a JWS in
// JSON serialization with ES256 over a key made for the occasion, whose
// protected header records formatLength and formatTail so the payload can
// be rebuilt from the signed document.
func NewSchema1(name, tag string, layers int) *Schema1 {
	s := &Schema1{Blobs: map[digest.Digest][]byte{}}
	type v1Compat struct {
		ID            string `json:"id"`
		Parent        string `json:"parent,omitempty"`
		Created       string `json:"created"`
		DockerVersion string `json:"docker_version,omitempty"`
		Architecture  string `json:"architecture,omitempty"`
		OS            string `json:"os,omitempty"`
		Config        any    `json:"config,omitempty"`
		ThrowAway     bool   `json:"throwaway,omitempty"`
	}
	type entry struct {
		V1Compatibility string `json:"v1Compatibility"`
	}
	type blobSum struct {
		BlobSum digest.Digest `json:"blobSum"`
	}
	var fsLayers []blobSum
	var history []entry
	for i := 0; i < layers; i++ {
		gz := Gzip([]byte(fmt.Sprintf("schema1 layer %d of %s", i, name)))
		d := digest.FromBytes(gz)
		s.Blobs[d] = gz
		s.FSLayers = append(s.FSLayers, d)
		fsLayers = append(fsLayers, blobSum{d})
		c := v1Compat{ID: fmt.Sprintf("%064d", layers-i), Created: epoch.Format("2006-01-02T15:04:05Z")}
		if i+1 < layers {
			c.Parent = fmt.Sprintf("%064d", layers-i-1)
		}
		if i == 0 {
			c.DockerVersion, c.Architecture, c.OS = "1.13.1", "amd64", "linux"
			c.Config = map[string]any{"Env": []string{"PATH=/usr/bin:/bin"}, "Labels": map[string]string{"schema": "1"}}
		}
		history = append(history, entry{string(mustJSON(c))})
	}
	doc := map[string]any{
		"schemaVersion": 1, "name": name, "tag": tag, "architecture": "amd64",
		"fsLayers": fsLayers, "history": history,
	}
	payload, err := json.MarshalIndent(doc, "", "   ")
	if err != nil {
		panic(err)
	}
	s.Payload = payload
	s.Digest = digest.FromBytes(payload)
	s.Manifest = signSchema1(payload)
	return s
}

// signSchema1 signs payload and splices the signatures in before its
// closing brace, as libtrust's PrettySignature does.
func signSchema1(payload []byte) []byte {
	b64 := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	// formatLength ends at the last non-space byte before the final "}".
	end := bytes.LastIndexByte(payload, '}')
	formatLength := len(bytes.TrimRight(payload[:end], " \t\r\n"))
	tail := payload[formatLength:]
	protected := b64(mustJSON(map[string]any{
		"formatLength": formatLength, "formatTail": b64(tail), "time": epoch.Format("2006-01-02T15:04:05Z"),
	}))
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	h := sha256.Sum256([]byte(protected + "." + b64(payload)))
	r, sg, err := ecdsa.Sign(rand.Reader, key, h[:])
	if err != nil {
		panic(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	sg.FillBytes(sig[32:])
	pub, err := key.PublicKey.ECDH()
	if err != nil {
		panic(err)
	}
	raw := pub.Bytes() // 0x04 || X || Y
	jws := []map[string]any{{
		"header": map[string]any{
			"jwk": map[string]string{"crv": "P-256", "kid": keyID(&key.PublicKey), "kty": "EC", "x": b64(raw[1:33]), "y": b64(raw[33:])},
			"alg": "ES256",
		},
		"signature": b64(sig),
		"protected": protected,
	}}
	sigs, err := json.MarshalIndent(jws, "   ", "   ")
	if err != nil {
		panic(err)
	}
	var out bytes.Buffer
	out.Write(payload[:formatLength])
	out.WriteString(",\n   \"signatures\": ")
	out.Write(sigs)
	out.Write(tail)
	return out.Bytes()
}

// keyID is libtrust's key ID: the first 240 bits of the SHA-256 of the
// DER public key, base32, in groups of four separated by colons.
func keyID(pub *ecdsa.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic(err)
	}
	h := sha256.Sum256(der)
	s := strings.TrimRight(base32.StdEncoding.EncodeToString(h[:30]), "=")
	var groups []string
	for i := 0; i < len(s); i += 4 {
		groups = append(groups, s[i:min(i+4, len(s))])
	}
	return strings.Join(groups, ":")
}
