package dockerarchive

import (
	"fmt"
	"io"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/archive"
	"github.com/opencontainers/go-digest"
)

// diffChecker serves a compressed layer and checks, in the same pass,
// that its decompressed content has the diff ID the image config lists
// (as docker load and skopeo do): the read that completes the layer fails
// otherwise, so the destination never commits it. The compressed bytes
// themselves are not hashed here: the copier verifies them against the
// layer's digest.
type diffChecker struct {
	l       *archive.LayerReader
	size, n int64
	want    digest.Digest
	member  string
	checked bool
}

func newDiffChecker(r io.Reader, c archive.Compression, size int64, want digest.Digest, member string) *diffChecker {
	return &diffChecker{l: archive.NewDiffReader(r, c), size: size, want: want, member: member}
}

func (c *diffChecker) Read(p []byte) (int, error) {
	n, err := c.l.Read(p)
	c.n += int64(n)
	if c.n >= c.size && !c.checked {
		c.checked = true
		if cerr := checkDiffID(c.l, c.member, c.want); cerr != nil {
			return n, cerr
		}
	}
	return n, err
}

func (c *diffChecker) Close() error { return c.l.Close() }

// checkDiffID finishes l and compares the diff ID of what it read with want.
func checkDiffID(l *archive.LayerReader, member string, want digest.Digest) error {
	_, diff, err := l.Finish()
	if err != nil {
		return fmt.Errorf("layer %s: %w", printable(member), err)
	}
	if diff != want {
		return fmt.Errorf("%w: layer %s decompresses to %s but the config gives its diff ID as %s", errdefs.ErrDigestMismatch, printable(member), diff, want)
	}
	return nil
}
