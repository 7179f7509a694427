package archive

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/fsutil"
)

// Output is where an archive is written. For a regular file (or a new
// one) it is a temporary file beside the target, synced and renamed over
// it at Commit, so the archive appears complete or not at all; Close
// without Commit removes it. A symlink is followed: its target is
// replaced and the link stays. What cannot be renamed over (a device, a
// FIFO, a socket, /dev/stdout) is written in place, in order, as is "-"
// (the caller's stdout).
type Output struct {
	w         io.Writer
	c         io.Closer // the file or connection opened in place; nil for a stream
	f         *os.File  // the temporary file; nil unless replacing a file
	path, tmp string
	done      bool
	// resumed and dirs are what a partial archive (see PartialPrefix)
	// already held when tmp is one.
	resumed []Resumed
	dirs    []string
	// syncer and unsynced start fsyncs of a file output as it grows (see
	// earlySync).
	syncer   *syncer
	unsynced int64
}

// CreateOutput starts writing the archive at path; "-" is stdout, which
// must not be nil (the library never falls back to the process's own).
func CreateOutput(path string, stdout io.Writer) (*Output, error) {
	if path == "-" {
		if stdout == nil {
			return nil, fmt.Errorf("%w: no standard output was given to write the archive \"-\" to", errdefs.ErrInvalidArgument)
		}
		return NewStreamOutput(stdout), nil
	}
	t, err := resolveTarget(path)
	if err != nil {
		return nil, err
	}
	if t.inPlace {
		return openInPlace(t)
	}
	dir := filepath.Dir(t.path)
	// A copy killed before its rename left a hidden temporary archive
	// here; its process is gone, so it goes.
	fsutil.RemoveStale(dir)
	if _, err := os.Stat(dir); err != nil && errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("creating %s: %w: the directory %s does not exist", path, errdefs.ErrInvalidArgument, dir)
	}
	if o, err := openPartial(t.path); err == nil && o != nil {
		return o, nil
	}
	// Another ferry is writing this target, or the directory takes no
	// partial file: a private temporary file, which a kill does not keep.
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
	return &Output{w: f, f: f, path: t.path, tmp: f.Name()}, nil
}

// openInPlace opens a device, FIFO, socket or descriptor for writing. A
// FIFO's open waits for its reader, as tar -f does.
func openInPlace(t target) (*Output, error) {
	if t.mode&fs.ModeSocket != 0 {
		c, err := net.Dial("unix", t.path)
		if err != nil {
			return nil, fmt.Errorf("connecting to the socket %s: %w", t.path, err)
		}
		return &Output{w: c, c: c, path: t.path}, nil
	}
	flag := os.O_WRONLY
	if t.mode.IsRegular() {
		flag |= os.O_TRUNC // a file behind /dev/stdout: it holds the archive alone
	}
	f, err := os.OpenFile(t.path, flag, 0)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", t.path, err)
	}
	return &Output{w: f, c: f, path: t.path}, nil
}

// Resumed lists the members a killed copy left in the partial archive,
// kept and verified: the destination records them as written and writes
// on after them. Empty for a new archive.
func (o *Output) Resumed() []Resumed { return o.resumed }

// Dirs lists the directory entries the partial archive already holds.
func (o *Output) Dirs() []string { return o.dirs }

// NewStreamOutput writes to w directly; Commit and Close leave w open.
func NewStreamOutput(w io.Writer) *Output { return &Output{w: w} }

// Write implements io.Writer.
func (o *Output) Write(p []byte) (int, error) {
	if o.done {
		return 0, fmt.Errorf("%w: write to a finished archive", errdefs.ErrInvalidArgument)
	}
	n, err := o.w.Write(p)
	if o.f != nil {
		if o.unsynced += int64(n); o.unsynced >= earlySync {
			o.unsynced = 0
			if o.syncer == nil {
				o.syncer = startSyncer(o.f)
			}
			o.syncer.poke()
		}
	}
	return n, err
}

// stopSyncer ends the background fsyncs before the file is synced for
// good or closed.
func (o *Output) stopSyncer() {
	if o.syncer != nil {
		o.syncer.stop()
		o.syncer = nil
	}
}

// Commit finishes the archive: a file output is synced, closed and
// renamed over its target, and the directory synced; an output written
// in place is closed.
func (o *Output) Commit() error {
	if o.done {
		return fmt.Errorf("%w: archive already finished", errdefs.ErrInvalidArgument)
	}
	o.done = true
	o.stopSyncer()
	if o.c != nil {
		if err := o.c.Close(); err != nil {
			return fmt.Errorf("writing %s: %w", o.path, err)
		}
		return nil
	}
	if o.f == nil {
		return nil
	}
	err := o.f.Sync()
	if err == nil {
		err = o.f.Chmod(0o644) // temporary files start private
	}
	if err == nil {
		// Renamed before it is closed, so the lock on a partial archive
		// is held until it has its final name.
		err = os.Rename(o.tmp, o.path)
	}
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(o.tmp)
		return fmt.Errorf("writing %s: %w", o.path, err)
	}
	fsutil.SyncDir(filepath.Dir(o.path)) // best effort: some file systems refuse to sync a directory
	return nil
}

// Close discards an uncommitted file output. An output written in place
// is closed; what reached it cannot be taken back.
func (o *Output) Close() error {
	if o.done {
		return nil
	}
	o.done = true
	o.stopSyncer()
	if o.c != nil {
		return o.c.Close()
	}
	if o.f == nil {
		return nil
	}
	err := os.Remove(o.tmp) // before Close: a partial is still locked
	o.f.Close()
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}
