package sif

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// seedSIF is a minimal SIF: the header, one descriptor right after it (a
// primary squashfs partition) and 16 bytes of data.
func seedSIF() []byte {
	le := binary.LittleEndian
	b := make([]byte, 128+585+16)
	copy(b[32:], "SIF_MAGIC\x00")
	copy(b[42:], "01\x00")
	copy(b[45:], "02\x00")
	le.PutUint64(b[88:], 1)   // descriptors total
	le.PutUint64(b[96:], 128) // descriptors offset
	d := b[128:]
	le.PutUint32(d[0:], 0x4004)
	d[4] = 1
	le.PutUint64(d[17:], 128+585) // offset
	le.PutUint64(d[25:], 16)      // size
	le.PutUint32(d[201:], 1)      // squashfs
	le.PutUint32(d[205:], 2)      // primary system partition
	return b
}

// FuzzParse: parse never panics and never reports a root file system or
// definition file outside the file.
func FuzzParse(f *testing.F) {
	f.Add(seedSIF())
	f.Add(seedSIF()[:300])
	f.Add([]byte("SIF_MAGIC"))
	f.Fuzz(func(t *testing.T, b []byte) {
		img, err := parse(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		for _, o := range []*object{&img.rootFS, img.deffile} {
			if o != nil && (o.offset < 0 || o.size < 0 || o.offset+o.size > int64(len(b))) {
				t.Fatalf("object %+v outside a %d-byte file", *o, len(b))
			}
		}
	})
}

// TestSeedParses keeps the fuzz seed a valid SIF, so the fuzzer starts
// from one.
func TestSeedParses(t *testing.T) {
	img, err := parse(bytes.NewReader(seedSIF()), int64(len(seedSIF())))
	if err != nil {
		t.Fatal(err)
	}
	if img.rootFS != (object{offset: 128 + 585, size: 16}) || img.arch != "amd64" || img.deffile != nil {
		t.Errorf("parsed %+v", img)
	}
}
