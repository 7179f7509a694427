package archive

import (
	"archive/tar"
	"fmt"
	"path"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
)

// Kind is what a tar entry is, for ferry's purposes.
type Kind int

// Entry kinds. Devices, FIFOs and sparse files have no place in an image
// archive and are refused.
const (
	File Kind = iota
	Dir
	Symlink
	Hardlink
)

// Entry is one member of an archive.
type Entry struct {
	Name string // clean, relative to the archive root
	Kind Kind
	// Link is the clean archive path a link points to.
	Link string
	// Offset is where a file's bytes start in a seekable archive (-1 in a stream).
	Offset int64
	Size   int64
}

// CleanName turns a tar entry name into a clean path relative to the
// archive root, refusing names that are absolute or climb out of it
// ("../x", "a/../../x"): ferry never extracts, but such a name is a sign
// of a hostile archive and no legitimate image archive has one.
func CleanName(name string) (string, error) {
	if name == "" || strings.ContainsRune(name, 0) {
		return "", fmt.Errorf("%w: entry name %q is empty or holds a NUL byte", errdefs.ErrInvalidArchive, name)
	}
	if strings.HasPrefix(name, "/") {
		return "", fmt.Errorf("%w: entry %q has an absolute path", errdefs.ErrInvalidArchive, name)
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", fmt.Errorf("%w: entry %q points outside the archive", errdefs.ErrInvalidArchive, name)
		}
	}
	c := path.Clean(name)
	if c == "." {
		return "", fmt.Errorf("%w: entry %q names the archive root", errdefs.ErrInvalidArchive, name)
	}
	return c, nil
}

// entryFromHeader validates a tar header and turns it into an Entry. ok is
// false for headers that carry no member (PAX global headers).
func entryFromHeader(h *tar.Header) (e Entry, ok bool, err error) {
	if h.Typeflag == tar.TypeXGlobalHeader {
		return Entry{}, false, nil
	}
	name, err := CleanName(h.Name)
	if err != nil {
		return Entry{}, false, err
	}
	e = Entry{Name: name, Offset: -1, Size: h.Size}
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return Entry{}, false, fmt.Errorf("%w: entry %q is a sparse file", errdefs.ErrInvalidArchive, name)
		}
	}
	switch h.Typeflag {
	case tar.TypeReg, tar.TypeRegA:
		e.Kind = File
	case tar.TypeDir:
		e.Kind, e.Size = Dir, 0
	case tar.TypeSymlink:
		e.Kind, e.Size = Symlink, 0
		if path.IsAbs(h.Linkname) {
			return Entry{}, false, fmt.Errorf("%w: symlink %q points to the absolute path %q", errdefs.ErrInvalidArchive, name, h.Linkname)
		}
		target := path.Join(path.Dir(name), h.Linkname)
		if target == ".." || strings.HasPrefix(target, "../") || h.Linkname == "" {
			return Entry{}, false, fmt.Errorf("%w: symlink %q -> %q points outside the archive", errdefs.ErrInvalidArchive, name, h.Linkname)
		}
		e.Link = target
	case tar.TypeLink:
		e.Kind, e.Size = Hardlink, 0
		target, err := CleanName(h.Linkname)
		if err != nil {
			return Entry{}, false, fmt.Errorf("%w: hard link %q -> %q points outside the archive", errdefs.ErrInvalidArchive, name, h.Linkname)
		}
		e.Link = target
	default:
		return Entry{}, false, fmt.Errorf("%w: entry %q has type %q, which has no place in an image archive", errdefs.ErrInvalidArchive, name, string(h.Typeflag))
	}
	return e, true, nil
}

// Entries is an archive's table of contents, by clean name. Where a name
// occurs twice the later entry wins, as when a tar is extracted.
type Entries map[string]*Entry

// maxLinkHops bounds link chains, so a loop is an error and not a hang.
const maxLinkHops = 16

// Resolve finds the regular file name refers to, following symbolic and
// hard links inside the archive. A missing member is ErrInvalidArchive:
// the archive's own metadata named it.
func (es Entries) Resolve(name string) (*Entry, error) {
	clean, err := CleanName(name)
	if err != nil {
		return nil, err
	}
	cur := clean
	for range maxLinkHops {
		e, ok := es[cur]
		if !ok {
			if cur != clean {
				return nil, fmt.Errorf("%w: %q links to %q, which the archive does not hold", errdefs.ErrInvalidArchive, name, cur)
			}
			return nil, fmt.Errorf("%w: the archive has no file %q", errdefs.ErrInvalidArchive, name)
		}
		switch e.Kind {
		case File:
			return e, nil
		case Dir:
			return nil, fmt.Errorf("%w: %q is a directory, not a file", errdefs.ErrInvalidArchive, name)
		}
		cur = e.Link
	}
	return nil, fmt.Errorf("%w: %q: too many levels of links", errdefs.ErrInvalidArchive, name)
}
