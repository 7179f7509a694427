package archive

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestOutputSyncsEarly: a file output past earlySync bytes starts its
// background fsyncs, and Commit still stops them and delivers every byte.
func TestOutputSyncsEarly(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "out.tar")
	o, err := CreateOutput(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	piece := bytes.Repeat([]byte{7}, 1<<20)
	var n int64
	for n <= earlySync {
		k, err := o.Write(piece)
		if err != nil {
			t.Fatal(err)
		}
		n += int64(k)
	}
	if o.syncer == nil {
		t.Fatalf("no background fsync after %d bytes", n)
	}
	if err := o.Commit(); err != nil {
		t.Fatal(err)
	}
	if o.syncer != nil {
		t.Error("Commit left the background fsyncs running")
	}
	if st, err := os.Stat(path); err != nil || st.Size() != n {
		t.Fatalf("archive: %v, %v; want %d bytes", st, err, n)
	}
}
