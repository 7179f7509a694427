package sigstore

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// Rekor's inclusion proofs, checked offline: the entry's leaf hash, with
// the proof's sibling hashes, rebuilds the root of the tree of the
// proof's size (RFC 9162 section 2.1.3.2), and a checkpoint the Rekor
// key signed commits the log to that root at that size. A proof shows
// the entry is in the log; unlike a SET it carries no signed time.

// inclusionProof is a bundle tlog entry's inclusionProof (protobuf JSON).
type inclusionProof struct {
	LogIndex   pbInt    `json:"logIndex"`
	RootHash   []byte   `json:"rootHash"`
	TreeSize   pbInt    `json:"treeSize"`
	Hashes     [][]byte `json:"hashes"`
	Checkpoint struct {
		Envelope string `json:"envelope"`
	} `json:"checkpoint"`
}

// verify checks that body is the leaf at p's index in the tree p's
// checkpoint, signed by one of rekorKeys, commits to.
func (p *inclusionProof) verify(rekorKeys []*ecdsa.PublicKey, body []byte) error {
	size, root, err := verifyCheckpoint(rekorKeys, p.Checkpoint.Envelope)
	if err != nil {
		return err
	}
	if size != int64(p.TreeSize) || !bytes.Equal(root, p.RootHash) {
		return denied("the Rekor checkpoint (tree size %d) does not commit to the inclusion proof's root (tree size %d)", size, p.TreeSize)
	}
	leaf := sha256.Sum256(append([]byte{0}, body...))
	got, err := rootFromProof(int64(p.LogIndex), int64(p.TreeSize), leaf[:], p.Hashes)
	if err != nil {
		return denied("invalid Rekor inclusion proof: %v", err)
	}
	if !bytes.Equal(got, p.RootHash) {
		return denied("the Rekor inclusion proof does not lead to the checkpoint's root hash")
	}
	return nil
}

// rootFromProof is the root hash the audit path proves leaf (the hash of
// the entry at index) belongs to, in a tree of size leaves.
func rootFromProof(index, size int64, leaf []byte, path [][]byte) ([]byte, error) {
	if index < 0 || size <= 0 || index >= size {
		return nil, fmt.Errorf("index %d outside a tree of size %d", index, size)
	}
	node := func(l, r []byte) []byte {
		h := sha256.New()
		h.Write([]byte{1})
		h.Write(l)
		h.Write(r)
		return h.Sum(nil)
	}
	fn, sn, r := index, size-1, leaf
	for _, p := range path {
		if sn == 0 {
			return nil, fmt.Errorf("the path is longer than the tree is deep")
		}
		if fn&1 == 1 || fn == sn {
			r = node(p, r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = node(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return nil, fmt.Errorf("the path is shorter than the tree is deep")
	}
	return r, nil
}

// verifyCheckpoint checks a Rekor checkpoint, a signed note ("ORIGIN\nSIZE\nBASE64ROOT\n[...]\n\n— NAME BASE64SIG\n"
// where SIG is a 4-byte key hint then an ECDSA signature over the SHA-256
// of the text before the blank line), and returns its tree size and root.
func verifyCheckpoint(rekorKeys []*ecdsa.PublicKey, envelope string) (int64, []byte, error) {
	split := strings.LastIndex(envelope, "\n\n")
	if split < 0 || !strings.HasSuffix(envelope, "\n") {
		return 0, nil, denied("malformed Rekor checkpoint")
	}
	text, sigs := envelope[:split+1], envelope[split+2:]
	sum := sha256.Sum256([]byte(text))
	signed := false
	for _, line := range strings.Split(strings.TrimSuffix(sigs, "\n"), "\n") {
		f := strings.Fields(strings.TrimPrefix(line, "\u2014 "))
		if !strings.HasPrefix(line, "\u2014 ") || len(f) != 2 {
			return 0, nil, denied("malformed Rekor checkpoint signature line")
		}
		raw, err := base64.StdEncoding.DecodeString(f[1])
		if err != nil || len(raw) < 5 {
			return 0, nil, denied("malformed Rekor checkpoint signature")
		}
		for _, k := range rekorKeys {
			signed = signed || ecdsa.VerifyASN1(k, sum[:], raw[4:])
		}
	}
	if !signed {
		return 0, nil, denied("cryptographic signature verification of the Rekor checkpoint failed")
	}
	lines := strings.Split(text, "\n")
	if len(lines) < 4 {
		return 0, nil, denied("malformed Rekor checkpoint")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		return 0, nil, denied("malformed Rekor checkpoint tree size %q", lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != sha256.Size {
		return 0, nil, denied("malformed Rekor checkpoint root hash")
	}
	return size, root, nil
}

// pbInt is an int64 in protobuf JSON: a decimal string (or a number).
type pbInt int64

func (i *pbInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("not an integer: %s", b)
	}
	*i = pbInt(v)
	return nil
}
