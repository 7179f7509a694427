package archive

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ferrytool/ferry/errdefs"
)

// Archive is a plain (uncompressed) tar in a seekable file, indexed by one
// pass over its headers: members are served as io.SectionReaders of the
// file, never extracted.
type Archive struct {
	ra      io.ReaderAt
	entries Entries
	close   func() error
}

// Index reads every header of the tar held in ra (size bytes long) and
// records where each member's bytes start. It reads headers only: tar
// skips member data by seeking. A truncated or malformed tar, or an unsafe
// member (see CleanName), is ErrInvalidArchive. closer, when not nil, is
// called by Close.
func Index(ctx context.Context, ra io.ReaderAt, size int64, closer func() error) (*Archive, error) {
	sr := io.NewSectionReader(ra, 0, size)
	tr := tar.NewReader(sr)
	es := Entries{}
	var end int64 // where the last member's padded data ends
	for n := 0; ; n++ {
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		h, err := tr.Next()
		// tar has read the header blocks and none of the data.
		off, _ := sr.Seek(0, io.SeekCurrent)
		if errors.Is(err, io.EOF) {
			if err := checkEnd(off, end, size); err != nil {
				return nil, err
			}
			break
		}
		if err != nil {
			return nil, tarError(err)
		}
		e, ok, err := entryFromHeader(h)
		if err != nil {
			return nil, err
		}
		end = off + padded(e.Size)
		if !ok {
			end = off + padded(h.Size)
			continue
		}
		if e.Kind == File {
			if off+e.Size > size {
				return nil, fmt.Errorf("%w: the archive is truncated inside %q", errdefs.ErrInvalidArchive, e.Name)
			}
			e.Offset = off
		}
		es[e.Name] = &e
	}
	return &Archive{ra: ra, entries: es, close: closer}, nil
}

// padded rounds a member's size up to whole tar blocks.
func padded(n int64) int64 { return (n + 511) &^ 511 }

// checkEnd requires the end-of-archive marker (two zero blocks, POSIX
// ustar) after the last member: without it a tar cut at a block boundary
// would pass for a whole one. pos is where reading stopped, end where the
// last member ended, size the archive's size (-1 for a stream).
func checkEnd(pos, end, size int64) error {
	if pos == 0 {
		return fmt.Errorf("%w: the archive is empty", errdefs.ErrInvalidArchive)
	}
	if pos < end+1024 || (size >= 0 && pos > size) {
		return fmt.Errorf("%w: the archive is truncated (no end-of-archive marker)", errdefs.ErrInvalidArchive)
	}
	return nil
}

// tarError describes a failure of archive/tar as an invalid archive.
func tarError(err error) error {
	if errors.Is(err, errdefs.ErrInvalidArchive) {
		return err // a decompressor's complaint, already said
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: the archive is truncated", errdefs.ErrInvalidArchive)
	}
	if errors.Is(err, tar.ErrHeader) {
		return fmt.Errorf("%w: not a tar archive, or a corrupt one: %v", errdefs.ErrInvalidArchive, err)
	}
	return fmt.Errorf("%w: %v", errdefs.ErrInvalidArchive, err)
}

// Entries is the archive's table of contents.
func (a *Archive) Entries() Entries { return a.entries }

// Open returns the bytes of the file name refers to (following links).
func (a *Archive) Open(name string) (*io.SectionReader, error) {
	e, err := a.entries.Resolve(name)
	if err != nil {
		return nil, err
	}
	return io.NewSectionReader(a.ra, e.Offset, e.Size), nil
}

// ReadFile returns a small member whole; one larger than limit bytes is
// ErrInvalidArchive, so a hostile archive cannot make ferry buffer a layer
// in memory.
func (a *Archive) ReadFile(name string, limit int64) ([]byte, error) {
	sr, err := a.Open(name)
	if err != nil {
		return nil, err
	}
	if sr.Size() > limit {
		return nil, fmt.Errorf("%w: %q is %d bytes, more than the %d a metadata file may have", errdefs.ErrInvalidArchive, name, sr.Size(), limit)
	}
	b := make([]byte, sr.Size())
	if _, err := io.ReadFull(sr, b); err != nil {
		return nil, fmt.Errorf("%w: reading %q: %v", errdefs.ErrInvalidArchive, name, err)
	}
	return b, nil
}

// Close releases the file behind the archive.
func (a *Archive) Close() error {
	if a.close == nil {
		return nil
	}
	return a.close()
}
