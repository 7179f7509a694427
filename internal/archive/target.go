package archive

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
)

// maxLinks bounds how many symlinks resolveTarget follows, as the kernel
// does (ELOOP after 40).
const maxLinks = 40

// target is where an archive named by a path really goes.
type target struct {
	// path is the file to replace (symlinks on the last component
	// followed), or the path to open in place.
	path string
	// inPlace is set for what must not be renamed over: a device, a FIFO,
	// a socket, or one of the process's own descriptors (/dev/stdout,
	// /proc/self/fd/N), whatever it points at. docker save -o, tar -f and
	// skopeo write into these too.
	inPlace bool
	mode    fs.FileMode // the type of what is there; 0 when nothing is
}

// resolveTarget follows the symlinks of path's last component, so that
// an atomic replace swaps the link's target and keeps the link, and says
// whether the result must be written in place.
func resolveTarget(path string) (target, error) {
	p := path
	for i := 0; ; i++ {
		if isProcDescriptor(p) {
			// /dev/stdout -> /proc/self/fd/1 -> "pipe:[123]" or a file the
			// shell opened: the descriptor is the destination, opened
			// through its magic link.
			fi, err := os.Stat(p)
			if err != nil {
				return target{}, err
			}
			return target{path: p, inPlace: true, mode: fi.Mode().Type()}, nil
		}
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return target{path: p}, nil // a new file (or a dangling link's target)
		}
		if err != nil {
			return target{}, err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return classify(p, fi.Mode())
		}
		if i == maxLinks {
			return target{}, fmt.Errorf("%w: %s: too many levels of symbolic links", errdefs.ErrInvalidArgument, path)
		}
		dest, err := os.Readlink(p)
		if err != nil {
			return target{}, err
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(p), dest)
		}
		p = dest
	}
}

func classify(p string, m fs.FileMode) (target, error) {
	switch {
	case m.IsDir():
		return target{}, fmt.Errorf("%w: %s is a directory, not an archive", errdefs.ErrInvalidArgument, p)
	case m.IsRegular():
		return target{path: p, mode: m.Type()}, nil
	}
	return target{path: p, inPlace: true, mode: m.Type()}, nil
}

// isProcDescriptor reports whether p names one of a process's open
// descriptors (/proc/self/fd/N, /proc/PID/fd/N, /dev/fd/N).
func isProcDescriptor(p string) bool {
	p = filepath.Clean(p)
	if strings.HasPrefix(p, "/dev/fd/") {
		return true
	}
	rest, ok := strings.CutPrefix(p, "/proc/")
	if !ok {
		return false
	}
	_, fd, ok := strings.Cut(rest, "/")
	return ok && strings.HasPrefix(fd, "fd/")
}
