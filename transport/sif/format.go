package sif

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/ferrytool/ferry/errdefs"
)

// The SIF on-disk format (github.com/sylabs/sif, pkg/sif: sif.go,
// descriptor.go), all integers little-endian:
//
//	global header, at 0, 128 bytes:
//	  launch script [32], magic "SIF_MAGIC\0" [10], version "01\0" [3],
//	  primary architecture "02\0" [3], UUID [16], then int64s: created,
//	  modified, descriptors free, descriptors total, descriptors offset,
//	  descriptors size, data offset, data size
//	descriptor table, at descriptors offset, total × 585 bytes each:
//	  data type int32, used bool [1], ID, group ID, linked ID uint32,
//	  then int64s: offset, size, size with padding, created, modified,
//	  UID, GID; name [128]; extra [384]
//	a partition descriptor's extra: file system type int32, partition
//	  type int32, architecture [3]
const (
	headerSize     = 128
	descriptorSize = 585
	extraOffset    = descriptorSize - 384
)

var magic = []byte("SIF_MAGIC\x00")

// Data object types and partition fields ferry reads.
const (
	dataDeffile   = 0x4001 // the definition file the image was built from
	dataPartition = 0x4004 // a file system

	fsSquash    = 1 // squashfs
	partPrimSys = 2 // the primary operating system
)

// fsNames names the file system types of partitions, for messages.
var fsNames = map[int32]string{1: "squashfs", 2: "ext3", 3: "an immutable object archive", 4: "raw data", 5: "encrypted squashfs"}

// archNames maps a SIF architecture code to Go's name (pkg/sif/arch.go).
var archNames = map[string]string{
	"01": "386", "02": "amd64", "03": "arm", "04": "arm64", "05": "ppc64", "06": "ppc64le",
	"07": "mips", "08": "mipsle", "09": "mips64", "10": "mips64le", "11": "s390x",
	"12": "riscv64", "13": "loong64",
}

// object is where a data object's bytes are in the file.
type object struct {
	offset, size int64
}

// image is what ferry needs of a SIF file.
type image struct {
	id       [16]byte
	modified int64
	arch     string // Go's name, "unknown" when the header names none
	rootFS   object // the primary system partition, a squashfs
	deffile  *object
}

// maxDescriptors bounds the descriptor table a header may declare (the
// format's own limit is the 32-bit ID; singularity writes 48).
const maxDescriptors = 1 << 16

// parse reads the header and descriptor table of the SIF in ra (size
// bytes long) and finds the root file system and the definition file.
func parse(ra io.ReaderAt, size int64) (*image, error) {
	img, table, err := parseHeader(ra, size)
	if err != nil {
		return nil, err
	}
	roots, err := img.scan(table, size)
	if err != nil {
		return nil, err
	}
	switch {
	case len(roots) == 0:
		return nil, fmt.Errorf("%w: the SIF has no root file system (no primary system partition)", errdefs.ErrInvalidArchive)
	case len(roots) > 1:
		return nil, fmt.Errorf("%w: the SIF has %d primary system partitions; it must have one", errdefs.ErrInvalidArchive, len(roots))
	case roots[0].fsType != fsSquash:
		name, ok := fsNames[roots[0].fsType]
		if !ok {
			name = fmt.Sprintf("file system type %d", roots[0].fsType)
		}
		return nil, fmt.Errorf("%w: the SIF's root file system is %s; ferry reads squashfs", errdefs.ErrNotSupported, name)
	}
	img.rootFS = roots[0].object
	return img, nil
}

// parseHeader reads the global header and returns the descriptor table.
func parseHeader(ra io.ReaderAt, size int64) (*image, []byte, error) {
	h := make([]byte, headerSize)
	if _, err := ra.ReadAt(h, 0); err != nil {
		return nil, nil, fmt.Errorf("%w: not a SIF file: it is shorter than a SIF header", errdefs.ErrInvalidArchive)
	}
	if !bytes.Equal(h[32:42], magic) {
		return nil, nil, fmt.Errorf("%w: not a SIF file (no SIF_MAGIC)", errdefs.ErrInvalidArchive)
	}
	if v := string(h[42:45]); v != "01\x00" {
		return nil, nil, fmt.Errorf("%w: SIF version %q (ferry reads version 01)", errdefs.ErrNotSupported, bytes.TrimRight(h[42:45], "\x00"))
	}
	img := &image{arch: "unknown"}
	if a, ok := archNames[string(bytes.TrimRight(h[45:48], "\x00"))]; ok {
		img.arch = a
	}
	copy(img.id[:], h[48:64])
	le := binary.LittleEndian
	img.modified = int64(le.Uint64(h[72:]))
	total := int64(le.Uint64(h[88:]))
	off := int64(le.Uint64(h[96:]))
	if total < 0 || total > maxDescriptors || off < headerSize || off > size || total*descriptorSize > size-off {
		return nil, nil, fmt.Errorf("%w: the SIF's descriptor table (%d entries at %d) lies outside the file (%d bytes; truncated?)", errdefs.ErrInvalidArchive, total, off, size)
	}
	table := make([]byte, total*descriptorSize)
	if _, err := ra.ReadAt(table, off); err != nil {
		return nil, nil, fmt.Errorf("%w: reading the SIF's descriptor table: %v", errdefs.ErrInvalidArchive, err)
	}
	return img, table, nil
}

// partition is a primary system partition found in the table.
type partition struct {
	object
	fsType int32
}

// scan walks the descriptors in use: it records the first definition
// file in img and returns every primary system partition.
func (img *image) scan(table []byte, size int64) ([]partition, error) {
	le := binary.LittleEndian
	var roots []partition
	for d := table; len(d) >= descriptorSize; d = d[descriptorSize:] {
		typ := int32(le.Uint32(d[0:]))
		if d[4] == 0 || typ != dataDeffile && typ != dataPartition { // unused, or not wanted
			continue
		}
		o := object{offset: int64(le.Uint64(d[17:])), size: int64(le.Uint64(d[25:]))}
		if o.offset < 0 || o.size < 0 || o.offset > size || o.size > size-o.offset {
			return nil, fmt.Errorf("%w: a SIF data object (%d bytes at %d) lies outside the file (%d bytes; truncated?)", errdefs.ErrInvalidArchive, o.size, o.offset, size)
		}
		switch {
		case typ == dataDeffile && img.deffile == nil:
			img.deffile = &o
		case typ == dataPartition && int32(le.Uint32(d[extraOffset+4:])) == partPrimSys:
			roots = append(roots, partition{o, int32(le.Uint32(d[extraOffset:]))})
		}
	}
	return roots, nil
}
