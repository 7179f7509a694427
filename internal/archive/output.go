package archive

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/fsutil"
)

// Output is where an archive is written. For a file it is a temporary file
// beside the target, synced and renamed over it at Commit, so the archive
// appears complete or not at all; Close without Commit removes it. For
// "-" (stdout) or a pipe, bytes go straight through.
type Output struct {
	w         io.Writer
	f         *os.File // nil for a stream
	path, tmp string
	done      bool
}

// CreateOutput starts writing the archive at path; "-" is stdout (nil
// means os.Stdout).
func CreateOutput(path string, stdout io.Writer) (*Output, error) {
	if path == "-" {
		if stdout == nil {
			stdout = os.Stdout
		}
		return NewStreamOutput(stdout), nil
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("%w: %s is a directory, not an archive", errdefs.ErrInvalidArgument, path)
	}
	dir := filepath.Dir(path)
	// A copy killed before its rename left a hidden temporary archive
	// here; its process is gone, so it goes.
	fsutil.RemoveStale(dir)
	f, err := os.CreateTemp(dir, fsutil.TempPattern())
	if _, serr := os.Stat(dir); err != nil && errors.Is(serr, fs.ErrNotExist) {
		return nil, fmt.Errorf("creating %s: %w: the directory %s does not exist", path, errdefs.ErrInvalidArgument, dir)
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the temporary name means nothing to the user
		}
		return nil, fmt.Errorf("creating %s: %w", path, err)
	}
	return &Output{w: f, f: f, path: path, tmp: f.Name()}, nil
}

// NewStreamOutput writes to w directly; Commit and Close leave w open.
func NewStreamOutput(w io.Writer) *Output { return &Output{w: w} }

// Write implements io.Writer.
func (o *Output) Write(p []byte) (int, error) {
	if o.done {
		return 0, fmt.Errorf("%w: write to a finished archive", errdefs.ErrInvalidArgument)
	}
	return o.w.Write(p)
}

// Commit makes a file output visible under its name: sync, close, rename,
// sync the directory.
func (o *Output) Commit() error {
	if o.done {
		return fmt.Errorf("%w: archive already finished", errdefs.ErrInvalidArgument)
	}
	o.done = true
	if o.f == nil {
		return nil
	}
	err := o.f.Sync()
	if err == nil {
		err = o.f.Chmod(0o644) // temporary files start private
	}
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(o.tmp, o.path)
	}
	if err != nil {
		os.Remove(o.tmp)
		return fmt.Errorf("writing %s: %w", o.path, err)
	}
	if d, err := os.Open(filepath.Dir(o.path)); err == nil {
		d.Sync() // best effort: some file systems refuse to sync a directory
		d.Close()
	}
	return nil
}

// Close discards an uncommitted file output.
func (o *Output) Close() error {
	if o.done || o.f == nil {
		o.done = true
		return nil
	}
	o.done = true
	o.f.Close()
	if err := os.Remove(o.tmp); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}
