package fetch

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"os"

	"github.com/ferrytool/ferry/internal/fsutil"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// stateVersion is the sidecar format; a sidecar of another version is
// ignored and its blob fetched again.
const stateVersion = 1

// sidecar is what a partial blob's ".state" file records: the ranges
// written and fsynced before the sidecar was written, and the hash state
// after the first Hashed bytes, so a resumed fetch neither downloads nor
// hashes those again.
type sidecar struct {
	Version   int           `json:"version"`
	Digest    digest.Digest `json:"digest"`
	Size      int64         `json:"size"`
	Ranges    [][2]int64    `json:"ranges"`
	Hashed    int64         `json:"hashed"`
	HashState []byte        `json:"hashState,omitempty"`
}

// encode renders the sidecar as one JSON line followed by the CRC-32 of
// that line, so a torn or corrupted file is recognised and never trusted.
func (sc *sidecar) encode() []byte {
	js, _ := json.Marshal(sc) // plain data: cannot fail
	return fmt.Appendf(js, "\n%08x\n", crc32.ChecksumIEEE(js))
}

var errBadSidecar = errors.New("the partial blob's state file is damaged")

func decodeSidecar(b []byte) (*sidecar, error) {
	js, sum, ok := bytes.Cut(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
	if !ok || string(sum) != fmt.Sprintf("%08x", crc32.ChecksumIEEE(js)) {
		return nil, errBadSidecar
	}
	var sc sidecar
	if err := json.Unmarshal(js, &sc); err != nil {
		return nil, errBadSidecar
	}
	return &sc, nil
}

func readSidecar(path string) (*sidecar, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return decodeSidecar(b)
}

// writeSidecar replaces path atomically (see fsutil.WriteFile).
func writeSidecar(path string, sc *sidecar) error {
	return fsutil.WriteFile(path, sc.encode())
}

// resumeState is where a fetch starts: the bytes already on disk and the
// hash of the first hashed of them.
type resumeState struct {
	done   spanSet
	hashed int64
	h      hash.Hash
}

// restore checks the sidecar against the descriptor and rebuilds the hash
// state; any inconsistency is an error and the blob starts over.
func (sc *sidecar) restore(d ocispec.Descriptor) (resumeState, error) {
	var st resumeState
	if sc.Version != stateVersion || sc.Digest != d.Digest || sc.Size != d.Size {
		return st, errBadSidecar
	}
	for _, r := range sc.Ranges {
		st.done = append(st.done, span{r[0], r[1]})
	}
	if !st.done.valid(d.Size) || sc.Hashed < 0 || sc.Hashed > st.done.prefix() {
		return st, errBadSidecar
	}
	st.h = d.Digest.Algorithm().Hash()
	if sc.Hashed > 0 {
		u, ok := st.h.(encoding.BinaryUnmarshaler)
		if !ok || u.UnmarshalBinary(sc.HashState) != nil {
			return st, errBadSidecar
		}
		st.hashed = sc.Hashed
	}
	return st, nil
}

// newSidecar records done and the hash state after hashed bytes (state nil
// when the hash cannot be marshalled: a resume then hashes from the file).
func newSidecar(d ocispec.Descriptor, done spanSet, hashed int64, state []byte) *sidecar {
	sc := &sidecar{Version: stateVersion, Digest: d.Digest, Size: d.Size, Ranges: make([][2]int64, 0, len(done))}
	for _, r := range done {
		sc.Ranges = append(sc.Ranges, [2]int64{r.start, r.end})
	}
	if state != nil {
		sc.Hashed, sc.HashState = hashed, state
	}
	return sc
}
