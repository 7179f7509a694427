package sigstore

import (
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"
)

// maxTlogEntries bounds the log entries of one bundle that are tried.
const maxTlogEntries = 8

// tlogEntry is a Sigstore bundle's verificationMaterial.tlogEntries
// member (protobuf JSON; bytes in base64, int64 as strings): a Rekor v1
// entry with its inclusion promise (a SET over the same canonical JSON
// as the .sig form's bundle annotation) and/or an inclusion proof.
type tlogEntry struct {
	LogIndex pbInt `json:"logIndex"`
	LogID    struct {
		KeyID []byte `json:"keyId"`
	} `json:"logId"`
	IntegratedTime   pbInt `json:"integratedTime"`
	InclusionPromise *struct {
		SignedEntryTimestamp []byte `json:"signedEntryTimestamp"`
	} `json:"inclusionPromise"`
	InclusionProof    *inclusionProof `json:"inclusionProof"`
	CanonicalizedBody []byte          `json:"canonicalizedBody"`
}

// verifyTlog accepts the first of entries that one of rekorKeys vouches
// for (every promise and proof it carries verifies) and that records l,
// and returns the time the log integrated it. needTime (a Fulcio
// certificate is checked at that time) also requires a promise: an
// inclusion proof alone signs no time.
func verifyTlog(rekorKeys []*ecdsa.PublicKey, entries []tlogEntry, l logged, needTime bool) (time.Time, error) {
	if len(entries) == 0 {
		return time.Time{}, denied("the Sigstore bundle holds no Rekor log entry")
	}
	var reasons []string
	for i := range entries[:min(len(entries), maxTlogEntries)] {
		at, err := entries[i].verify(rekorKeys, l, needTime)
		if err == nil {
			return at, nil
		}
		reasons = append(reasons, err.Error())
	}
	return time.Time{}, denied("no Rekor log entry of the Sigstore bundle verified: %s", strings.Join(reasons, "; "))
}

func (t *tlogEntry) verify(rekorKeys []*ecdsa.PublicKey, l logged, needTime bool) (time.Time, error) {
	e := &rekorEntry{body: t.CanonicalizedBody, bodyB64: base64.StdEncoding.EncodeToString(t.CanonicalizedBody),
		integratedTime: int64(t.IntegratedTime), logIndex: int64(t.LogIndex), logID: hex.EncodeToString(t.LogID.KeyID)}
	switch {
	case t.InclusionPromise == nil && t.InclusionProof == nil:
		return time.Time{}, denied("a Rekor log entry without an inclusion promise or proof")
	case t.InclusionPromise == nil && needTime:
		return time.Time{}, denied("a Rekor log entry without an inclusion promise (SET) gives no signing time to check the certificate at")
	}
	if t.InclusionPromise != nil {
		if err := e.verifySET(rekorKeys, t.InclusionPromise.SignedEntryTimestamp); err != nil {
			return time.Time{}, err
		}
	}
	if t.InclusionProof != nil {
		if err := t.InclusionProof.verify(rekorKeys, t.CanonicalizedBody); err != nil {
			return time.Time{}, err
		}
	}
	if err := e.records(l); err != nil {
		return time.Time{}, err
	}
	return time.Unix(e.integratedTime, 0), nil
}
