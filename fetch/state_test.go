package fetch

import (
	"crypto/sha256"
	"encoding"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSidecarRoundTrip(t *testing.T) {
	t.Parallel()
	blob, d := testBlob(50, 5000)
	h := sha256.New()
	h.Write(blob[:1000])
	state, _ := h.(encoding.BinaryMarshaler).MarshalBinary()
	done := spanSet{{0, 1500}, {3000, 4000}}
	path := filepath.Join(t.TempDir(), "x.state")
	if err := writeSidecar(path, newSidecar(d, done, 1000, state)); err != nil {
		t.Fatal(err)
	}
	sc, err := readSidecar(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sc.restore(d)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(done, st.done, cmp.AllowUnexported(span{})); diff != "" {
		t.Errorf("ranges (-want +got):\n%s", diff)
	}
	if st.hashed != 1000 {
		t.Errorf("hashed = %d, want 1000", st.hashed)
	}
	st.h.Write(blob[1000:])
	if got, want := st.h.Sum(nil), sha256.Sum256(blob); string(got) != string(want[:]) {
		t.Errorf("the restored hash does not continue the saved one")
	}
	// Another size is another blob.
	d.Size++
	if _, err := sc.restore(d); err == nil {
		t.Errorf("restore accepted a sidecar of another size")
	}
}
