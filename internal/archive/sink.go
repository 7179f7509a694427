package archive

import (
	"context"
	"fmt"
	"io"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/opencontainers/go-digest"
)

// Sink is what the archive destinations (docker-archive, oci-archive)
// share: the output, the tar stream on it, and whether the stream broke
// or finished. Callers hold their own lock around its use.
type Sink struct {
	Name string // the image name, for messages
	Out  *Output
	TW   *Writer
	Err  error // sticky: once a write failed the stream is broken
	Done bool
}

// NewSink starts a tar stream on out.
func NewSink(name string, out *Output) Sink {
	tw := NewWriter(out)
	tw.HaveDirs(out.Dirs())
	return Sink{Name: name, Out: out, TW: tw}
}

// Usable reports why nothing more may be written, if anything.
func (s *Sink) Usable() error {
	switch {
	case s.Err != nil:
		return s.Err
	case s.Done:
		return fmt.Errorf("%w: %s is already committed or closed", errdefs.ErrInvalidArgument, s.Name)
	}
	return nil
}

// Discard abandons an archive that was not committed: a file output's
// temporary file is removed. It does nothing after Commit.
func (s *Sink) Discard() error {
	if s.Done {
		return nil
	}
	s.Done = true
	return s.Out.Close()
}

// WriteBlob appends a member of size bytes read from r, for the blob d.
// A failure breaks the stream for good: it becomes the sticky error.
func (s *Sink) WriteBlob(ctx context.Context, member string, size int64, r io.Reader, d digest.Digest) error {
	if err := s.TW.WriteFile(ctx, member, size, r); err != nil {
		s.Err = fmt.Errorf("%s: writing blob %s: %w", s.Name, d, err)
		return s.Err
	}
	return nil
}
