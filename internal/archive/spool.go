package archive

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/opencontainers/go-digest"
)

// Temp is a temporary file that Close removes. On systems that allow it
// the file is unlinked as soon as it is created, so nothing is left behind
// even when ferry is killed.
type Temp struct {
	*os.File
	name     string
	unlinked bool
}

// CreateTemp makes an empty temporary file in dir ("" is the system's
// temporary directory).
func CreateTemp(dir, pattern string) (*Temp, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, fmt.Errorf("creating a temporary file: %w", err)
	}
	t := &Temp{File: f, name: f.Name()}
	if os.Remove(t.name) == nil {
		t.unlinked = true
	}
	return t, nil
}

// Close closes and removes the file.
func (t *Temp) Close() error {
	err := t.File.Close()
	if !t.unlinked {
		if rerr := os.Remove(t.name); rerr != nil && !os.IsNotExist(rerr) && err == nil {
			err = rerr
		}
	}
	return err
}

// Spool copies r to the end into a new temporary file in dir and returns
// it with its size, positioned at the start.
func Spool(ctx context.Context, r io.Reader, dir string) (*Temp, int64, error) {
	t, err := CreateTemp(dir, "ferry-spool-*")
	if err != nil {
		return nil, 0, err
	}
	n, err := io.Copy(t, ContextReader(ctx, r))
	if err == nil {
		_, err = t.Seek(0, io.SeekStart)
	}
	if err != nil {
		t.Close()
		return nil, 0, err
	}
	return t, n, nil
}

// SpoolDigest spools r like Spool and also returns its sha256 digest: an
// archive destination uses it for a blob whose size and digest are known
// only at its end, since a tar member's size precedes its bytes.
func SpoolDigest(ctx context.Context, r io.Reader, dir string) (*Temp, int64, digest.Digest, error) {
	h := digest.SHA256.Digester()
	t, n, err := Spool(ctx, io.TeeReader(r, h.Hash()), dir)
	if err != nil {
		return nil, 0, "", err
	}
	return t, n, h.Digest(), nil
}

// ContextReader fails reads once ctx is done, so a long copy stops
// promptly on cancellation.
func ContextReader(ctx context.Context, r io.Reader) io.Reader {
	return &ctxReader{ctx: ctx, r: r}
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
