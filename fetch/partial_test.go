package fetch

import (
	"encoding"
	"os"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// writePartial leaves in dir what an interrupted fetch of d leaves: the
// bytes of have in the partial file and a sidecar saying so, with the hash
// state after the first hashed bytes.
func writePartial(t *testing.T, dir string, d ocispec.Descriptor, blob []byte, have spanSet, hashed int64) {
	writePartialFrom(t, dir, d, blob, blob, have, hashed)
}

// writePartialFrom is writePartial with the partial file's bytes taken
// from file and the hash state computed over hash, to fake damage.
func writePartialFrom(t *testing.T, dir string, d ocispec.Descriptor, file, hash []byte, have spanSet, hashed int64) {
	t.Helper()
	p := (&Cache{dir: dir}).paths(d.Digest)
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	content := make([]byte, d.Size)
	for _, r := range have {
		copy(content[r.start:r.end], file[r.start:r.end])
	}
	if err := os.WriteFile(p.partial, content, 0o644); err != nil {
		t.Fatal(err)
	}
	var state []byte
	if hashed > 0 {
		h := d.Digest.Algorithm().Hash()
		h.Write(hash[:hashed])
		var err error
		if state, err = h.(encoding.BinaryMarshaler).MarshalBinary(); err != nil {
			t.Fatal(err)
		}
	}
	if err := writeSidecar(p.state, newSidecar(d, have, hashed, state)); err != nil {
		t.Fatal(err)
	}
}
