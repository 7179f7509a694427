package sigstore

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strconv"
	"time"

	"github.com/ferrytool/ferry/internal/strictjson"
)

// A Rekor signed entry timestamp (SET), the dev.sigstore.cosign/bundle
// annotation, checked offline as containers/image checks it: the Rekor
// log's key signed the entry (ECDSA over the SHA-256 of the entry's RFC
// 8785 canonical JSON), and the entry, a hashedrekord 0.0.1, records this
// signature, this payload's SHA-256 and the key or certificate that made
// it. No log is contacted: the SET is Rekor's promise to include the
// entry, not a proof of inclusion.

// VerifyRekorSET checks set against the Rekor keys and the signature it
// must record: keyOrCertPEM (the signer's public key or Fulcio
// certificate, PEM), the base64 signature and the payload. It returns the
// time Rekor integrated the entry.
func VerifyRekorSET(rekorKeys []*ecdsa.PublicKey, set []byte, keyOrCertPEM []byte, b64sig string, payload []byte) (time.Time, error) {
	top, err := strictjson.Object(set)
	if err != nil {
		return time.Time{}, denied("invalid Rekor SET: %v", err)
	}
	if err := strictjson.Only(top, "SignedEntryTimestamp", "Payload"); err != nil {
		return time.Time{}, denied("invalid Rekor SET: %v", err)
	}
	var setSig []byte
	if err := json.Unmarshal(top["SignedEntryTimestamp"], &setSig); err != nil || len(setSig) == 0 {
		return time.Time{}, denied("invalid Rekor SET: SignedEntryTimestamp must be base64")
	}
	entry, err := parseRekorEntry(top["Payload"])
	if err != nil {
		return time.Time{}, denied("invalid Rekor SET payload: %v", err)
	}
	if err := entry.verifySET(rekorKeys, setSig); err != nil {
		return time.Time{}, err
	}
	given, rest := pem.Decode(keyOrCertPEM)
	if given == nil || len(bytes.TrimSpace(rest)) != 0 {
		return time.Time{}, denied("public key or certificate to match against the Rekor SET is not one PEM block")
	}
	sig, err := base64.StdEncoding.DecodeString(b64sig)
	if err != nil {
		return time.Time{}, denied("decoding signature base64: %v", err)
	}
	sum := sha256.Sum256(payload)
	if err := entry.records(logged{kind: kindHashedRekord, signer: given.Bytes, sig: sig, sum: sum[:]}); err != nil {
		return time.Time{}, err
	}
	return time.Unix(entry.integratedTime, 0), nil
}

// verifySET checks that one of the Rekor keys signed e (its RFC 8785
// canonical JSON) with setSig.
func (e *rekorEntry) verifySET(rekorKeys []*ecdsa.PublicKey, setSig []byte) error {
	sum := sha256.Sum256(e.canonical())
	for _, k := range rekorKeys {
		if ecdsa.VerifyASN1(k, sum[:], setSig) {
			return nil
		}
	}
	return denied("cryptographic signature verification of Rekor SET failed")
}

// rekorEntry is the SET's payload.
type rekorEntry struct {
	body                     []byte
	bodyB64                  string // body as the log sent it
	integratedTime, logIndex int64
	logID                    string
}

// parseRekorEntry reads the SET payload strictly (exactly body,
// integratedTime, logIndex and logID).
func parseRekorEntry(raw json.RawMessage) (*rekorEntry, error) {
	m, err := strictjson.Object(raw)
	if err != nil {
		return nil, err
	}
	if err := strictjson.Only(m, "body", "integratedTime", "logIndex", "logID"); err != nil {
		return nil, err
	}
	var e rekorEntry
	var body string
	for key, dst := range map[string]any{"body": &body, "integratedTime": &e.integratedTime, "logIndex": &e.logIndex, "logID": &e.logID} {
		v, ok := m[key]
		if !ok {
			return nil, fmt.Errorf("%q is missing", key)
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return nil, fmt.Errorf("%q: %v", key, err)
		}
	}
	if e.body, err = base64.StdEncoding.DecodeString(body); err != nil {
		return nil, fmt.Errorf("body: %v", err)
	}
	e.bodyB64 = body
	return &e, nil
}

// canonical is the JSON a SET signs: e's members in code-point order, no
// white space, integers plainly, strings escaped as RFC 8785 says.
func (e *rekorEntry) canonical() []byte {
	var c bytes.Buffer
	c.WriteString(`{"body":`)
	canonicalString(&c, e.bodyB64)
	c.WriteString(`,"integratedTime":` + strconv.FormatInt(e.integratedTime, 10))
	c.WriteString(`,"logID":`)
	canonicalString(&c, e.logID)
	c.WriteString(`,"logIndex":` + strconv.FormatInt(e.logIndex, 10) + "}")
	return c.Bytes()
}

// canonicalString writes s as RFC 8785 serializes a string: only '"',
// '\' and control characters escaped (the short forms where JSON has
// them), everything else as UTF-8.
func canonicalString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 {
				fmt.Fprintf(b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}
