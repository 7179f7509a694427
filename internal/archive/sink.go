package archive

import (
	"fmt"

	"github.com/ferrytool/ferry/errdefs"
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
	return Sink{Name: name, Out: out, TW: NewWriter(out)}
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
