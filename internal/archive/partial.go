package archive

import (
	"archive/tar"
	"errors"
	"github.com/ferrytool/ferry/internal/fsutil"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/opencontainers/go-digest"
)

// PartialPrefix starts the name of an archive being written beside its
// target. Unlike a temporary file it outlives a killed ferry: the next
// copy to the same target keeps its complete members and writes on from
// there, so a killed copy resumes instead of starting over, and there is
// never a second copy of the archive on disk. It is locked while in use
// and renamed over the target at Commit.
const PartialPrefix = ".ferry-partial-"

// Resumed is a member a partial archive already holds, complete and
// verified against the digest its name states.
type Resumed struct {
	Name   string
	Digest digest.Digest // "" for oci-layout, which is not a blob
}

var (
	blobMember   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^blobs/([a-z0-9]+)/([a-f0-9]{32,})$`) })
	configMember = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([a-f0-9]{64})\.json$`) })
)

// resumableDigest is the digest a member's name states, and whether such
// a member may be kept from a partial archive: blobs/ALG/HEX, a docker
// config HEX.json, or oci-layout. Index and manifest files are written at
// Commit and never kept.
func resumableDigest(name string) (digest.Digest, bool) {
	if name == "oci-layout" {
		return "", true
	}
	if m := blobMember().FindStringSubmatch(name); m != nil {
		d := digest.NewDigestFromEncoded(digest.Algorithm(m[1]), m[2])
		return d, d.Validate() == nil
	}
	if m := configMember().FindStringSubmatch(name); m != nil {
		return digest.NewDigestFromEncoded(digest.SHA256, m[1]), true
	}
	return "", false
}

// scanPartial reads the partial archive f from the start and returns the
// members it can keep (in order), the directories written before them,
// and the offset where the first member it cannot keep (cut short,
// corrupt, or written at Commit) starts.
func scanPartial(f *os.File) (kept []Resumed, dirs []string, end int64) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, nil, 0
	}
	cr := &countReader{r: f}
	tr := tar.NewReader(cr)
	for {
		h, err := tr.Next()
		if err != nil {
			return kept, dirs, end
		}
		name := strings.TrimSuffix(path.Clean(h.Name), "/")
		switch h.Typeflag {
		case tar.TypeDir:
			dirs = append(dirs, name)
			end = cr.n
			continue
		case tar.TypeReg:
		default:
			return kept, dirs, end
		}
		want, ok := resumableDigest(name)
		if !ok {
			return kept, dirs, end
		}
		var n int64
		if want != "" && want.Algorithm().Available() {
			v := want.Verifier()
			n, err = io.Copy(v, tr)
			if err != nil || n != h.Size || !v.Verified() {
				return kept, dirs, end
			}
		} else if n, err = io.Copy(io.Discard, tr); err != nil || n != h.Size {
			return kept, dirs, end
		}
		kept = append(kept, Resumed{Name: name, Digest: want})
		end = cr.n + padded(h.Size) - h.Size
	}
}

// openPartial opens (creating it) the partial archive for target, locked,
// keeps its complete members and positions it after them. It returns nil
// when another ferry holds it; the caller then writes a temporary file.
func openPartial(target string) (*Output, error) {
	name := filepath.Join(filepath.Dir(target), PartialPrefix+filepath.Base(target))
	for {
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, err
		}
		if err := fsutil.TryLockFile(f); err != nil {
			f.Close()
			if errors.Is(err, fsutil.ErrLocked) {
				return nil, nil
			}
			return nil, err
		}
		// The holder may have renamed it into place (or removed it)
		// between our open and our lock: start again on the new name.
		if !sameFile(f, name) {
			f.Close()
			continue
		}
		kept, dirs, end := scanPartial(f)
		if err := f.Truncate(end); err != nil {
			f.Close()
			return nil, err
		}
		if _, err := f.Seek(end, io.SeekStart); err != nil {
			f.Close()
			return nil, err
		}
		return &Output{w: f, f: f, path: target, tmp: name, resumed: kept, dirs: dirs}, nil
	}
}

func sameFile(f *os.File, name string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(name)
	return err == nil && os.SameFile(a, b)
}
