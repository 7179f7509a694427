package archive

import (
	"errors"
	"fmt"
	"io"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/opencontainers/go-digest"
)

// LayerReader passes a layer's bytes through unchanged and, as they pass,
// computes two digests: of the bytes themselves and of their decompressed
// content (the diff ID an image config lists in rootfs.diff_ids). A
// compressed layer is decompressed alongside, in the same pass, so
// checking a diff ID costs no second read. Finish (or Close) must be
// called.
type LayerReader struct {
	r    io.Reader
	raw  digest.Digester // nil: not computed (NewDiffReader)
	diff digest.Digester // nil: the layer is not compressed, diff == raw
	pw   *io.PipeWriter
	done chan error
	fin  bool
	err  error
}

// NewLayerReader follows r, which has compression c.
func NewLayerReader(r io.Reader, c Compression) *LayerReader {
	l := &LayerReader{r: r, raw: digest.SHA256.Digester()}
	if c == None {
		return l
	}
	l.diff = digest.SHA256.Digester()
	pr, pw := io.Pipe()
	l.pw, l.done = pw, make(chan error, 1)
	go func() {
		err := hashPlain(pr, c, l.diff)
		pr.CloseWithError(err) // unblock the writer whatever happened
		l.done <- err
	}()
	return l
}

func hashPlain(r io.Reader, c Compression, h digest.Digester) error {
	zr, err := NewReader(r, c)
	if err != nil {
		return err
	}
	defer zr.Close()
	if _, err := io.Copy(h.Hash(), zr); err != nil {
		if !errors.Is(err, errdefs.ErrInvalidArchive) {
			err = fmt.Errorf("%w: %s layer: %v", errdefs.ErrInvalidArchive, c, err)
		}
		return err
	}
	// Bytes after the compressed stream are not part of the diff; the
	// raw digest still covers them. Drain so the writer never blocks.
	_, err = io.Copy(io.Discard, r)
	return err
}

// NewDiffReader is NewLayerReader for a reader whose bytes are verified
// elsewhere (the copier checks every blob against its digest): it only
// computes the diff ID, so the compressed bytes are not hashed twice.
// Finish then returns "" as the raw digest of a compressed layer.
func NewDiffReader(r io.Reader, c Compression) *LayerReader {
	l := NewLayerReader(r, c)
	if l.diff != nil {
		l.raw = nil
	}
	return l
}

// Read implements io.Reader.
func (l *LayerReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if n > 0 {
		if l.raw != nil {
			l.raw.Hash().Write(p[:n])
		}
		if l.pw != nil {
			if _, werr := l.pw.Write(p[:n]); werr != nil && err == nil {
				// The decompressor stopped: the content is not what its
				// magic says.
				err = l.finish()
			}
		}
	}
	return n, err
}

// Finish ends the decompression of what was read and returns the two
// digests; it fails when the compressed content is corrupt.
func (l *LayerReader) Finish() (raw, diff digest.Digest, err error) {
	if err := l.finish(); err != nil {
		return "", "", err
	}
	if l.raw != nil {
		raw = l.raw.Digest()
	}
	if l.diff == nil {
		return raw, raw, nil
	}
	return raw, l.diff.Digest(), nil
}

func (l *LayerReader) finish() error {
	if l.fin {
		return l.err
	}
	l.fin = true
	if l.pw != nil {
		l.pw.Close()
		l.err = <-l.done
	}
	return l.err
}

// Close stops the decompression without a result.
func (l *LayerReader) Close() error {
	if !l.fin && l.pw != nil {
		l.pw.CloseWithError(io.ErrClosedPipe)
	}
	l.finish()
	return nil
}
