package serve

import (
	"errors"
	"fmt"
	"io"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/archive"
)

// decompressed serves a compressed archive member as the uncompressed
// layer its digest names (what ferry's docker-archive: source serves),
// without writing it out: reads decompress as they go; a seek forward
// decompresses and discards up to the new offset, a seek backward starts
// again from the member's first byte. A client reads layers from the
// start (a resumed pull seeks once), so this costs little in practice.
type decompressed struct {
	member *io.SectionReader
	comp   archive.Compression
	size   int64 // uncompressed size, from the derived manifest

	pos int64         // where the next Read is wanted
	rc  io.ReadCloser // the stream, at offset at
	at  int64
}

func (d *decompressed) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += d.pos
	case io.SeekEnd:
		offset += d.size
	default:
		return 0, errors.New("serve: bad whence")
	}
	if offset < 0 {
		return 0, errors.New("serve: negative offset")
	}
	d.pos = offset
	return offset, nil
}

func (d *decompressed) Read(p []byte) (int, error) {
	if d.pos >= d.size {
		return 0, io.EOF
	}
	if d.rc == nil || d.at > d.pos {
		if d.rc != nil {
			d.rc.Close()
		}
		rc, err := archive.NewReader(io.NewSectionReader(d.member, 0, d.member.Size()), d.comp)
		if err != nil {
			return 0, err
		}
		d.rc, d.at = rc, 0
	}
	if d.at < d.pos {
		n, err := io.CopyN(io.Discard, d.rc, d.pos-d.at)
		d.at += n
		if err != nil {
			return 0, fmt.Errorf("%w: the layer ends before byte %d: %v", errdefs.ErrInvalidArchive, d.pos, err)
		}
	}
	if int64(len(p)) > d.size-d.pos {
		p = p[:d.size-d.pos]
	}
	n, err := d.rc.Read(p)
	d.at += int64(n)
	d.pos += int64(n)
	if err == io.EOF && d.pos < d.size {
		err = io.ErrUnexpectedEOF
	}
	if err == io.EOF {
		err = nil
	}
	return n, err
}

func (d *decompressed) Close() error {
	if d.rc != nil {
		return d.rc.Close()
	}
	return nil
}
