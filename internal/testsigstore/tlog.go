package testsigstore

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"
)

// HashedRekordBody is the body of a hashedrekord 0.0.1 entry: sig over
// an artifact whose SHA-256 is sum, by keyOrCert (PEM).
func HashedRekordBody(keyOrCert, sig, sum []byte) []byte {
	body, _ := json.Marshal(map[string]any{
		"apiVersion": "0.0.1", "kind": "hashedrekord",
		"spec": map[string]any{
			"data":      map[string]any{"hash": map[string]string{"algorithm": "sha256", "value": hex.EncodeToString(sum)}},
			"signature": map[string]any{"content": sig, "publicKey": map[string]any{"content": keyOrCert}},
		},
	})
	return body
}

// DSSEBody is the body of a dsse 0.0.1 entry: a DSSE envelope (its JSON)
// with payload and one signature sig by keyOrCert (PEM).
func DSSEBody(keyOrCert, sig, payload, envelope []byte) []byte {
	ps, es := sha256.Sum256(payload), sha256.Sum256(envelope)
	body, _ := json.Marshal(map[string]any{
		"apiVersion": "0.0.1", "kind": "dsse",
		"spec": map[string]any{
			"envelopeHash": map[string]string{"algorithm": "sha256", "value": hex.EncodeToString(es[:])},
			"payloadHash":  map[string]string{"algorithm": "sha256", "value": hex.EncodeToString(ps[:])},
			"signatures":   []map[string]any{{"signature": base64.StdEncoding.EncodeToString(sig), "verifier": keyOrCert}},
		},
	})
	return body
}

// Entry is a Sigstore bundle's tlogEntries member for body, integrated at
// at, as Rekor v1 returns it: with an inclusion promise (SET) when
// promise, with an inclusion proof and a signed checkpoint when proof
// (the entry sits among leaves of other entries).
func (l *RekorLog) Entry(t testing.TB, body []byte, at time.Time, promise, proof bool) map[string]any {
	t.Helper()
	var kv struct{ Kind, APIVersion string }
	if err := json.Unmarshal(body, &kv); err != nil {
		t.Fatal(err)
	}
	e := map[string]any{
		"logIndex":          strconv.Itoa(logIndex),
		"logId":             map[string]any{"keyId": l.keyID(t)},
		"kindVersion":       map[string]string{"kind": kv.Kind, "version": kv.APIVersion},
		"integratedTime":    strconv.FormatInt(at.Unix(), 10),
		"canonicalizedBody": body,
	}
	if promise {
		_, set := l.promise(t, body, at)
		e["inclusionPromise"] = map[string]any{"signedEntryTimestamp": set}
	}
	if proof {
		leaves := make([][]byte, 7)
		const index = 5
		for i := range leaves {
			leaves[i] = []byte(fmt.Sprintf("another entry %d", i))
		}
		leaves[index] = body
		root, path := merkleRoot(leaves), merklePath(index, leaves)
		e["inclusionProof"] = map[string]any{
			"logIndex": strconv.Itoa(index), "rootHash": root, "treeSize": strconv.Itoa(len(leaves)), "hashes": path,
			"checkpoint": map[string]string{"envelope": l.Checkpoint(t, int64(len(leaves)), root)},
		}
	}
	return e
}

// Checkpoint is the signed note Rekor v1 publishes for a tree of size
// leaves with root hash root.
func (l *RekorLog) Checkpoint(t testing.TB, size int64, root []byte) string {
	t.Helper()
	text := fmt.Sprintf("rekor.test - 1234\n%d\n%s\n", size, base64.StdEncoding.EncodeToString(root))
	h := sha256.Sum256([]byte(text))
	sig, err := ecdsa.SignASN1(rand.Reader, l.Key, h[:])
	if err != nil {
		t.Fatal(err)
	}
	return text + "\n\u2014 rekor.test " + base64.StdEncoding.EncodeToString(append(l.keyID(t)[:4], sig...)) + "\n"
}

// merkleRoot is RFC 6962's MTH over the entries' bodies, written from its
// recursive definition (the verifier walks the proof iteratively).
func merkleRoot(d [][]byte) []byte {
	if len(d) == 1 {
		h := sha256.Sum256(append([]byte{0}, d[0]...))
		return h[:]
	}
	k := split(len(d))
	h := sha256.Sum256(append(append([]byte{1}, merkleRoot(d[:k])...), merkleRoot(d[k:])...))
	return h[:]
}

// merklePath is RFC 6962's PATH(m, D[n]): the audit path of leaf m.
func merklePath(m int, d [][]byte) [][]byte {
	if len(d) == 1 {
		return nil
	}
	k := split(len(d))
	if m < k {
		return append(merklePath(m, d[:k]), merkleRoot(d[k:]))
	}
	return append(merklePath(m-k, d[k:]), merkleRoot(d[:k]))
}

// split is the largest power of two smaller than n.
func split(n int) int {
	k := 1
	for k*2 < n {
		k *= 2
	}
	return k
}

// TrustedRoot is a Sigstore trusted root (the JSON cosign's
// --trusted-root reads) naming ca as the Fulcio CA and l as the Rekor log.
func TrustedRoot(t testing.TB, ca *FulcioCA, l *RekorLog) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(l.Key.Public())
	if err != nil {
		t.Fatal(err)
	}
	valid := map[string]string{"start": "2001-01-01T00:00:00Z"}
	b, _ := json.Marshal(map[string]any{
		"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
		"tlogs": []any{map[string]any{"baseUrl": "https://rekor.test", "hashAlgorithm": "SHA2_256", "logId": map[string]any{"keyId": l.keyID(t)},
			"publicKey": map[string]any{"rawBytes": der, "keyDetails": "PKIX_ECDSA_P256_SHA_256", "validFor": valid}}},
		"certificateAuthorities": []any{map[string]any{"subject": map[string]string{"commonName": "test fulcio"}, "uri": "https://fulcio.test",
			"certChain": map[string]any{"certificates": []any{map[string]any{"rawBytes": ca.cert.Raw}}}, "validFor": valid}},
	})
	return b
}
