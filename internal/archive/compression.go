// Package archive holds what ferry's archive transports (docker-archive,
// oci-archive, tarball, docker-daemon) share: compression detection by
// magic bytes, safe tar entry names, an index of a seekable tar's entries
// by offset, a one-pass walk of a tar stream, spooling a stream to a
// temporary file, and an output file that appears complete or not at all
// (written in place when it is a device, FIFO, socket or descriptor, and
// resumed from its partial archive after a kill). Nothing here ever
// extracts an archive to disk.
package archive

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Compression is the compression a stream is found to have.
type Compression int

// The compressions ferry tells apart and reads (an archive compressed as
// a whole may use any of them, as skopeo reads them; layers use gzip or
// zstd).
const (
	None Compression = iota
	Gzip
	Zstd
	Bzip2
	Xz
)

func (c Compression) String() string {
	switch c {
	case Gzip:
		return "gzip"
	case Zstd:
		return "zstd"
	case Bzip2:
		return "bzip2"
	case Xz:
		return "xz"
	}
	return "none"
}

// MagicLen is how many leading bytes Detect needs to see.
const MagicLen = 6

var (
	magicGzip  = []byte{0x1f, 0x8b}
	magicZstd  = []byte{0x28, 0xb5, 0x2f, 0xfd}
	magicBzip2 = []byte("BZh")
	magicXz    = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
)

// Detect names the compression of a stream from its first bytes (RFC 1952
// for gzip, RFC 8878 for zstd). Anything unrecognised is None.
func Detect(head []byte) Compression {
	switch {
	case bytes.HasPrefix(head, magicGzip):
		return Gzip
	case bytes.HasPrefix(head, magicZstd):
		return Zstd
	case bytes.HasPrefix(head, magicBzip2):
		return Bzip2
	case bytes.HasPrefix(head, magicXz):
		return Xz
	}
	return None
}

// Peek returns a reader equivalent to r and r's first bytes (fewer when r
// is shorter), without consuming them.
func Peek(r io.Reader, n int) (io.Reader, []byte, error) {
	br := bufio.NewReaderSize(r, max(n, 4096))
	head, err := br.Peek(n)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, nil, err
	}
	return br, head, nil
}

// Decompress detects the compression of r and returns a reader of its
// decompressed bytes (r itself, buffered, when it is not compressed). The
// returned reader must be closed to release a zstd decoder's goroutines.
func Decompress(r io.Reader) (io.ReadCloser, Compression, error) {
	br, head, err := Peek(r, MagicLen)
	if err != nil {
		return nil, None, err
	}
	c := Detect(head)
	rc, err := NewReader(br, c)
	return rc, c, err
}

// NewReader decompresses r, which has compression c.
func NewReader(r io.Reader, c Compression) (io.ReadCloser, error) {
	switch c {
	case None:
		return io.NopCloser(r), nil
	case Gzip:
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("%w: gzip: %v", errdefs.ErrInvalidArchive, err)
		}
		return readCloser{corrupt{zr, c}, zr}, nil
	case Zstd:
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(MaxZstdWindow))
		if err != nil {
			return nil, fmt.Errorf("%w: zstd: %v", errdefs.ErrInvalidArchive, err)
		}
		return readCloser{corrupt{zstdWindow{zr}, c}, zstdWindow{zr}}, nil
	case Bzip2:
		return io.NopCloser(corrupt{bzip2.NewReader(r), c}), nil
	case Xz:
		zr, err := xz.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("%w: xz: %v", errdefs.ErrInvalidArchive, err)
		}
		return io.NopCloser(corrupt{zr, c}), nil
	}
	return nil, fmt.Errorf("%w: %s compression is not supported; decompress it first", errdefs.ErrNotSupported, c)
}

// MaxZstdWindow is the largest zstd window ferry decodes. The decoder
// holds a window's worth of history, so a tiny archive declaring a huge
// window (the format allows up to 3.75 TB; klauspost's default cap is
// 512 MiB) would drive memory up; zstd --long and every image tool stay at
// or below 2^27.
const MaxZstdWindow = 128 << 20

// corrupt reports a decoder's complaint about its input (a bad checksum, a
// stream cut short, garbage) as ErrInvalidArchive, so that a damaged
// archive reads as one sentence naming the compression, not a decoder's
// bare message.
type corrupt struct {
	r io.Reader
	c Compression
}

func (z corrupt) Read(p []byte) (int, error) {
	n, err := z.r.Read(p)
	var pathErr *fs.PathError
	if err == nil || err == io.EOF || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, errdefs.ErrInvalidArchive) || errors.As(err, &pathErr) {
		return n, err // the end, or not the data's fault
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return n, fmt.Errorf("%w: %s: the compressed data is cut short", errdefs.ErrInvalidArchive, z.c)
	}
	return n, fmt.Errorf("%w: %s: the compressed data is corrupt: %v", errdefs.ErrInvalidArchive, z.c, err)
}

// readCloser reads from one value and closes another (the decoder
// behind a wrapper).
type readCloser struct {
	io.Reader
	io.Closer
}

type zstdWindow struct{ *zstd.Decoder }

// Read turns the decoder's refusal of a window beyond MaxZstdWindow into
// invalid input.
func (z zstdWindow) Read(p []byte) (int, error) {
	n, err := z.Decoder.Read(p)
	if err != nil && errors.Is(err, zstd.ErrWindowSizeExceeded) {
		err = fmt.Errorf("%w: zstd: the stream declares a window larger than %d MiB", errdefs.ErrInvalidArchive, MaxZstdWindow>>20)
	}
	return n, err
}

func (z zstdWindow) Close() error { z.Decoder.Close(); return nil }

// IsUncompressed reads the first bytes of r and reports whether they
// start no compressed stream ferry knows; false when nothing can be read.
func IsUncompressed(r io.Reader) bool {
	head := make([]byte, MagicLen)
	n, err := io.ReadFull(r, head)
	if n == 0 && err != nil {
		return false
	}
	return Detect(head[:n]) == None
}

// IsUncompressedBlob is IsUncompressed for a blob just opened (rc, err),
// which it closes; false when it could not be opened.
func IsUncompressedBlob(rc io.ReadCloser, err error) bool {
	if err != nil {
		return false
	}
	defer rc.Close()
	return IsUncompressed(rc)
}
