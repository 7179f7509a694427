// Package verify checks content against a descriptor while it streams.
package verify

import (
	"fmt"
	"hash"
	"io"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/opencontainers/go-digest"
)

// Reader passes bytes through while hashing them. At the end of the stream
// it returns io.EOF only if the content had the expected size and digest;
// otherwise it returns an error wrapping errdefs.ErrSizeMismatch or
// errdefs.ErrDigestMismatch, so a consumer that stops at the first error
// never keeps bad content. It also fails as soon as the content runs past
// the expected size.
type Reader struct {
	r    io.Reader
	want digest.Digest
	size int64 // -1: unknown
	n    int64
	h    hash.Hash
	err  error
}

// NewReader wraps r to verify it against digest d and size (size < 0 skips
// the size check).
func NewReader(r io.Reader, d digest.Digest, size int64) (*Reader, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %q: %v", errdefs.ErrInvalidArgument, d, err)
	}
	return &Reader{r: r, want: d, size: size, h: d.Algorithm().Hash()}, nil
}

// Read implements io.Reader.
func (v *Reader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.r.Read(p)
	v.n += int64(n)
	v.h.Write(p[:n])
	if v.size >= 0 && v.n > v.size {
		v.err = fmt.Errorf("%w: %s: got more than %d bytes", errdefs.ErrSizeMismatch, v.want, v.size)
		return n, v.err
	}
	if err == io.EOF {
		v.err = v.check()
		return n, v.err
	}
	if err != nil {
		v.err = err
	}
	return n, err
}

func (v *Reader) check() error {
	if v.size >= 0 && v.n != v.size {
		return fmt.Errorf("%w: %s: got %d bytes, want %d", errdefs.ErrSizeMismatch, v.want, v.n, v.size)
	}
	if got := digest.NewDigest(v.want.Algorithm(), v.h); got != v.want {
		return fmt.Errorf("%w: content has digest %s, want %s", errdefs.ErrDigestMismatch, got, v.want)
	}
	return io.EOF
}

// Verified reports whether the whole stream was read and matched.
func (v *Reader) Verified() bool { return v.err == io.EOF }

// Count is the number of bytes read so far.
func (v *Reader) Count() int64 { return v.n }

// Bytes checks a whole buffer, as for manifests fetched by digest.
func Bytes(b []byte, d digest.Digest, size int64) error {
	if err := d.Validate(); err != nil {
		return fmt.Errorf("%w: %q: %v", errdefs.ErrInvalidArgument, d, err)
	}
	if size >= 0 && int64(len(b)) != size {
		return fmt.Errorf("%w: %s: got %d bytes, want %d", errdefs.ErrSizeMismatch, d, len(b), size)
	}
	if got := d.Algorithm().FromBytes(b); got != d {
		return fmt.Errorf("%w: content has digest %s, want %s", errdefs.ErrDigestMismatch, got, d)
	}
	return nil
}
