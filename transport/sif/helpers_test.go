package sif_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/ferrytool/ferry/internal/testenv"
)

// A SIF as singularity (github.com/sylabs/sif's CreateContainer) lays it
// out, written here field by field at the offsets the format gives,
// independently of the parser: the 128-byte global header at 0, a table of
// 48 descriptors of 585 bytes at 4096, the data after it, the definition
// file unaligned, each partition aligned to 4096.
const (
	tableOffset = 4096
	capacity    = 48
	descSize    = 585
	dataOffset  = tableOffset + capacity*descSize // 32176
)

// sifObject is one data object to write.
type sifObject struct {
	dataType int32 // 0x4001 definition file, 0x4004 partition
	fsType   int32 // partitions: 1 squashfs
	partType int32 // partitions: 2 primary system
	data     []byte
}

var sifID = [16]byte{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x0f, 0xed, 0xcb, 0xa9, 0x87, 0x65, 0x43, 0x21}

const sifTime = 1700000000 // 2023-11-14T22:13:20Z

// writeSIF writes a SIF of objs, with architecture code arch ("02" is
// amd64), and returns its path.
func writeSIF(t *testing.T, arch string, objs ...sifObject) string {
	t.Helper()
	le := binary.LittleEndian
	var data bytes.Buffer
	table := make([]byte, capacity*descSize)
	for i, o := range objs {
		off := int64(dataOffset + data.Len())
		if o.dataType == 0x4004 {
			for off%4096 != 0 {
				data.WriteByte(0)
				off++
			}
		}
		data.Write(o.data)
		d := table[i*descSize:]
		le.PutUint32(d[0:], uint32(o.dataType))
		d[4] = 1                                  // used
		le.PutUint32(d[5:], uint32(i+1))          // ID
		le.PutUint32(d[9:], 0xf0000001)           // group 1
		le.PutUint64(d[17:], uint64(off))         // offset
		le.PutUint64(d[25:], uint64(len(o.data))) // size
		le.PutUint64(d[41:], sifTime)
		le.PutUint64(d[49:], sifTime)
		if o.dataType == 0x4004 {
			le.PutUint32(d[201:], uint32(o.fsType))
			le.PutUint32(d[205:], uint32(o.partType))
			copy(d[209:], arch+"\x00")
		}
	}
	h := make([]byte, 128)
	copy(h, "#!/usr/bin/env run-singularity\n")
	copy(h[32:], "SIF_MAGIC\x00")
	copy(h[42:], "01\x00")
	copy(h[45:], arch+"\x00")
	copy(h[48:], sifID[:])
	le.PutUint64(h[64:], sifTime)                    // created
	le.PutUint64(h[72:], sifTime)                    // modified
	le.PutUint64(h[80:], uint64(capacity-len(objs))) // free
	le.PutUint64(h[88:], capacity)                   // total
	le.PutUint64(h[96:], tableOffset)                // descriptors offset
	le.PutUint64(h[104:], capacity*descSize)         // descriptors size
	le.PutUint64(h[112:], dataOffset)                // data offset
	le.PutUint64(h[120:], uint64(data.Len()))        // data size
	file := make([]byte, dataOffset)
	copy(file, h)
	copy(file[tableOffset:], table)
	file = append(file, data.Bytes()...)
	p := filepath.Join(t.TempDir(), "image.sif")
	if err := os.WriteFile(p, file, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// squashfs makes a squashfs of a small root file system with the real
// mksquashfs, every file owned by root and dated sifTime.
func squashfs(t *testing.T) []byte {
	t.Helper()
	mk := testenv.NeedCommand(t, "mksquashfs")
	root := t.TempDir()
	files := map[string]string{
		"etc/os-release":  "ID=ferrytest\n",
		"bin/hello":       "#!/bin/sh\necho hello\n",
		"usr/share/doc/a": "a\n",
		"usr/share/doc/b": "bb\n",
	}
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	when := time.Unix(sifTime, 0)
	filepath.Walk(root, func(p string, _ os.FileInfo, _ error) error { return os.Chtimes(p, when, when) })
	out := filepath.Join(t.TempDir(), "root.sqfs")
	cmd := exec.Command(mk, root, out, "-noappend", "-all-root", "-no-progress", "-quiet", "-mkfs-time", "1700000000", "-all-time", "1700000000")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mksquashfs: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
