package archive

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/ferrytool/ferry/errdefs"
)

// Input is an archive to read. A plain tar in a regular file is indexed
// in place at once. Anything else (stdin, a FIFO, an archive compressed as
// a whole, an Engine API export) is a one-shot stream: it can be walked
// once with Stream or, when random access is needed, spooled (decompressed)
// to a temporary file and indexed, on the first call to Archive.
type Input struct {
	name   string
	tmpDir string
	open   func(ctx context.Context) (io.ReadCloser, error)
	// release frees what the input holds before open is called (a file).
	release func() error

	mu     sync.Mutex
	arch   *Archive
	err    error
	taken  bool
	closed bool
}

// OpenInput opens the archive at path; "-" reads stdin, which must not be
// nil (the library never falls back to the process's own). tmpDir is
// where a stream is spooled when it must be ("" is the system default).
func OpenInput(ctx context.Context, path string, stdin io.Reader, tmpDir string) (*Input, error) {
	if path == "-" {
		if stdin == nil {
			return nil, fmt.Errorf("%w: no standard input was given to read the archive \"-\" from", errdefs.ErrInvalidArgument)
		}
		return NewStreamInput("stdin", func(context.Context) (io.ReadCloser, error) {
			return io.NopCloser(stdin), nil
		}, tmpDir), nil
	}
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("archive %w", errdefs.ErrNotFound)
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if fi.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%w: %s is a directory, not an archive", errdefs.ErrInvalidArgument, path)
	}
	if fi.Mode().IsRegular() {
		head := make([]byte, MagicLen)
		n, _ := f.ReadAt(head, 0)
		if Detect(head[:n]) == None {
			a, err := Index(ctx, f, fi.Size(), f.Close)
			if err != nil {
				f.Close()
				return nil, err
			}
			return &Input{name: path, arch: a}, nil
		}
	}
	in := NewStreamInput(path, func(context.Context) (io.ReadCloser, error) {
		return io.NopCloser(f), nil
	}, tmpDir)
	in.release = f.Close
	return in, nil
}

// NewStreamInput makes an Input of a stream that open returns (called at
// most once). The stream may be compressed as a whole.
func NewStreamInput(name string, open func(ctx context.Context) (io.ReadCloser, error), tmpDir string) *Input {
	return &Input{name: name, open: open, tmpDir: tmpDir}
}

// Name is the path or description given when the input was opened.
func (in *Input) Name() string { return in.name }

// Indexed reports whether the archive is already indexed, so that Archive
// costs nothing and Stream is pointless.
func (in *Input) Indexed() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.arch != nil
}

// Archive returns the indexed archive, spooling a stream to a temporary
// file first if that has not been done.
func (in *Input) Archive(ctx context.Context) (*Archive, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.arch != nil || in.err != nil {
		return in.arch, in.err
	}
	if in.closed {
		return nil, fmt.Errorf("%w: %s is closed", errdefs.ErrInvalidArgument, in.name)
	}
	if in.taken {
		return nil, fmt.Errorf("%w: %s was already read as a stream and cannot be read again", errdefs.ErrNotSupported, in.name)
	}
	in.arch, in.err = in.spool(ctx)
	return in.arch, in.err
}

func (in *Input) spool(ctx context.Context) (*Archive, error) {
	in.taken = true
	rc, err := in.openPlain(ctx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	t, size, err := Spool(ctx, rc, in.tmpDir)
	if err != nil {
		return nil, err
	}
	a, err := Index(ctx, t, size, t.Close)
	if err != nil {
		t.Close()
		return nil, err
	}
	return a, nil
}

// openPlain opens the stream and undoes any compression of the whole archive.
func (in *Input) openPlain(ctx context.Context) (io.ReadCloser, error) {
	raw, err := in.open(ctx)
	if err != nil {
		return nil, err
	}
	plain, _, err := Decompress(raw)
	if err != nil {
		raw.Close()
		return nil, err
	}
	return &closeBoth{Reader: plain, closers: []io.Closer{plain, raw}}, nil
}

// Stream returns the archive as a tar stream (decompressed), once. It is
// an error on an input already indexed or already streamed.
func (in *Input) Stream(ctx context.Context) (io.ReadCloser, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.arch != nil || in.taken || in.closed {
		return nil, fmt.Errorf("%w: %s cannot be read as a stream again", errdefs.ErrNotSupported, in.name)
	}
	in.taken = true
	return in.openPlain(ctx)
}

// Close releases the file and removes any spool.
func (in *Input) Close() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed {
		return nil
	}
	in.closed = true
	var err error
	if in.arch != nil {
		err = in.arch.Close()
	}
	if in.release != nil {
		if rerr := in.release(); err == nil {
			err = rerr
		}
	}
	return err
}

type closeBoth struct {
	io.Reader
	closers []io.Closer
}

func (c *closeBoth) Close() error {
	var first error
	for _, cl := range c.closers {
		if err := cl.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
