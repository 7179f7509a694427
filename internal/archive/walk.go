package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ferrytool/ferry/errdefs"
)

// Limits on what a stream walk keeps in memory. Metadata (manifests,
// configs, index.json) is JSON and small; layers are tar, gzip or zstd and
// may be gigabytes. A JSON member up to MaxMetadata bytes is kept, and so
// is any member up to SmallFile bytes (VERSION files, empty layers), as
// long as the total kept stays under MaxKept.
const (
	MaxMetadata = 16 << 20
	SmallFile   = 64 << 10
	MaxKept     = 256 << 20
)

// Walked is what a one-pass walk of a tar stream learned: the table of
// contents, the members it kept in memory, and what the put callback
// returned for each member it handed over.
type Walked[T any] struct {
	Entries Entries
	Kept    map[string][]byte
	Put     map[string]T
}

// PutEntry receives a member too large to keep: its entry, its first bytes
// (up to MagicLen) and a reader of all of it. It must read r to the end.
type PutEntry[T any] func(ctx context.Context, e *Entry, head []byte, r io.Reader) (T, error)

// Walk reads a tar stream once, front to back, keeping small members in
// memory and handing each large one to put as it passes, so that a layer
// goes from the archive to its destination without touching the disk. An
// unsafe member (see CleanName) or a truncated stream is ErrInvalidArchive.
func Walk[T any](ctx context.Context, r io.Reader, put PutEntry[T]) (*Walked[T], error) {
	cr := &countReader{r: r}
	tr := tar.NewReader(cr)
	var end int64 // where the last member's padded data ends
	w := &Walked[T]{Entries: Entries{}, Kept: map[string][]byte{}, Put: map[string]T{}}
	var kept int64
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			if err := checkEnd(cr.n, end, -1); err != nil {
				return nil, err
			}
			return w, nil
		}
		if err != nil {
			return nil, tarError(err)
		}
		e, ok, err := entryFromHeader(h)
		if err != nil {
			return nil, err
		}
		end = cr.n + padded(e.Size)
		if !ok {
			end = cr.n + padded(h.Size)
			continue
		}
		w.Entries[e.Name] = &e
		delete(w.Kept, e.Name)
		delete(w.Put, e.Name)
		if e.Kind != File {
			continue
		}
		br, head, err := Peek(tr, MagicLen)
		if err != nil {
			return nil, tarError(err)
		}
		if keep(e.Size, head, kept) {
			b := make([]byte, e.Size)
			if _, err := io.ReadFull(br, b); err != nil {
				return nil, tarError(err)
			}
			w.Kept[e.Name] = b
			kept += e.Size
			continue
		}
		v, err := put(ctx, &e, head, br)
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("%w: the archive is truncated inside %q", errdefs.ErrInvalidArchive, e.Name)
			}
			return nil, err
		}
		w.Put[e.Name] = v
	}
}

// countReader counts bytes read. It hides any Seek method, so tar reads
// (and so checks) every byte it skips.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func keep(size int64, head []byte, kept int64) bool {
	if kept+size > MaxKept {
		return false
	}
	if size <= SmallFile {
		return true
	}
	return size <= MaxMetadata && looksJSON(head)
}

// looksJSON: layers start with a tar header or compression magic, never
// with '{' or '['.
func looksJSON(head []byte) bool {
	t := bytes.TrimLeft(head, " \t\r\n")
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

// File returns the bytes of a kept member (following links), or ok false
// when the member was handed to put instead, with what put returned.
func (w *Walked[T]) File(name string) (b []byte, put T, kept bool, err error) {
	e, err := w.Entries.Resolve(name)
	if err != nil {
		return nil, put, false, err
	}
	if b, ok := w.Kept[e.Name]; ok {
		return b, put, true, nil
	}
	return nil, w.Put[e.Name], false, nil
}
