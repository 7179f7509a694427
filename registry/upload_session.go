package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/registry/auth"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// session is one blob upload in progress (distribution spec, "Pushing
// blobs"): where it is, what the registry holds of it, and the bytes read
// from the source that the registry has not acknowledged yet, kept so
// they can be sent again.
type session struct {
	c        *Client
	repo     string
	loc      *url.URL
	minChunk int64 // OCI-Chunk-Min-Length

	src  *hashingReader // the source, read once, hashed as read
	dig  digest.Digester
	size int64 // expected size, -1 unknown
	want digest.Digest

	// reopen, when the caller's reader offers it (Reopener) and the size
	// is known, reads the source again from an offset: a cut upload
	// resumes from it rather than from bytes kept in memory. again is
	// the reader it last opened.
	reopen Reopener
	again  io.ReadCloser

	offset int64  // bytes the registry holds
	mem    []byte // mem[lo:hi] are bytes offset.. read but not acknowledged
	lo, hi int
	eof    bool // the source is exhausted
}

// upload sends r through a new upload session of repo and commits it.
// want (may be empty) and size (may be -1) are checked against what was
// read before the commit. chunks skips the streamed attempt.
func (c *Client) upload(ctx context.Context, repo string, r io.Reader, size int64, want digest.Digest, chunks bool) (ocispec.Descriptor, error) {
	loc, minChunk, err := c.startUpload(ctx, repo)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	alg := digest.Canonical
	if want != "" {
		alg = want.Algorithm()
	}
	s := &session{c: c, repo: repo, loc: loc, minChunk: minChunk, dig: alg.Digester(), size: size, want: want}
	s.src = &hashingReader{r: r, w: s.dig.Hash()}
	if ro, ok := r.(Reopener); ok && size >= 0 {
		s.reopen = ro
	}
	defer func() {
		if s.again != nil {
			s.again.Close()
		}
	}()
	d, err := s.run(ctx, chunks || c.wantChunks())
	if err != nil {
		c.cancel(ctx, repo, s.loc)
		return ocispec.Descriptor{}, err
	}
	c.record(repo, d.Digest)
	return d, nil
}

// run sends the content, streamed first unless chunks is set, and
// commits it.
func (s *session) run(ctx context.Context, chunks bool) (ocispec.Descriptor, error) {
	if !chunks {
		var err error
		if chunks, err = s.stream(ctx); err != nil {
			return ocispec.Descriptor{}, err
		}
	}
	if chunks {
		if err := s.chunks(ctx); err != nil {
			return ocispec.Descriptor{}, err
		}
	}
	return s.commit(ctx)
}

// commit checks what was read against the digest and size expected and
// closes the session with PUT ?digest=.
func (s *session) commit(ctx context.Context) (ocispec.Descriptor, error) {
	// The transport may stop at Content-Length: read on to the end so a
	// verifying reader reports a bad tail.
	if extra, err := io.Copy(io.Discard, s.src); err != nil || extra > 0 {
		if err == nil {
			err = fmt.Errorf("%w: blob %s: more than %d bytes", errdefs.ErrSizeMismatch, s.want, s.size)
		}
		return ocispec.Descriptor{}, err
	}
	got := s.dig.Digest()
	if s.want != "" && got != s.want {
		return ocispec.Descriptor{}, fmt.Errorf("%w: content has digest %s, want %s", errdefs.ErrDigestMismatch, got, s.want)
	}
	if s.size >= 0 && s.src.n != s.size {
		return ocispec.Descriptor{}, fmt.Errorf("%w: blob %s: got %d bytes, want %d", errdefs.ErrSizeMismatch, got, s.src.n, s.size)
	}
	if s.offset != s.src.n {
		return ocispec.Descriptor{}, fmt.Errorf("%w: blob %s: the registry holds %d of its %d bytes", errdefs.ErrUnavailable, got, s.offset, s.src.n)
	}
	desc := ocispec.Descriptor{Digest: got, Size: s.src.n}
	resp, err := s.c.do(ctx, &request{
		method: http.MethodPut, url: withDigest(s.loc, got),
		getBody: func() (io.ReadCloser, error) { return http.NoBody, nil },
		scopes:  s.c.scopes(s.repo, auth.ActionPush),
	}, http.StatusCreated)
	if err != nil {
		// The PUT may have gone through with its answer lost, and a
		// retry then finds the session closed: the blob tells.
		if retryableUpload(err) {
			if ok, herr := s.c.headBlob(ctx, s.repo, desc); herr == nil && ok { // ungated: PutBlob holds the gate
				return desc, nil
			}
		}
		return ocispec.Descriptor{}, err
	}
	drain(resp)
	return desc, nil
}

// status asks where the session stands (GET on its location, "Pushing a
// blob in chunks"): the number of bytes the registry holds, and whether
// that number is exact ("Range: 0-0" means none or one byte). It moves
// the session to the location the answer names.
func (s *session) status(ctx context.Context) (int64, bool, error) {
	resp, err := s.c.do(ctx, &request{method: http.MethodGet, url: s.loc.String(), scopes: s.c.scopes(s.repo, auth.ActionPush)},
		http.StatusNoContent, http.StatusOK, http.StatusAccepted)
	if err != nil {
		return 0, false, err
	}
	drain(resp)
	s.moveTo(resp)
	v := resp.Header.Get("Range")
	if v == "" {
		return 0, true, nil
	}
	n, ok := parseRange(v)
	if !ok {
		return 0, false, fmt.Errorf("%w: the registry described the upload with Range %q", errdefs.ErrUnavailable, v)
	}
	if n == 1 {
		return 0, false, nil
	}
	return n, true, nil
}

// moveTo follows the Location of an upload answer, when it has one.
func (s *session) moveTo(resp *http.Response) {
	if loc, err := resp.Location(); err == nil {
		s.loc = loc
	}
}

// pending is the number of bytes read and not acknowledged.
func (s *session) pending() int64 { return int64(s.hi - s.lo) }

// resumeAt moves the session to offset k, as the registry reported it:
// bytes up to k were stored, those after are sent again from memory.
func (s *session) resumeAt(ctx context.Context, k int64) error {
	if k < s.offset && s.reopen != nil {
		return s.rewind(ctx, k)
	}
	if k < s.offset || k > s.offset+s.pending() {
		return fmt.Errorf("%w: the registry holds %d bytes of the upload, where %d to %d were expected; it cannot be resumed",
			errdefs.ErrUnavailable, k, s.offset, s.offset+s.pending())
	}
	s.lo += int(k - s.offset)
	s.offset = k
	return nil
}

// rewind continues the upload at k, before what the session still holds
// in memory, by reading the source again from there (see Reopener); the
// bytes up to where reading had got are not hashed a second time.
func (s *session) rewind(ctx context.Context, k int64) error {
	r, err := s.reopen.ReopenAt(ctx, k)
	if err != nil {
		return fmt.Errorf("reading blob %s again from byte %d to resume its upload: %w", s.want, k, err)
	}
	if s.again != nil {
		s.again.Close()
	}
	s.again = r
	s.src.rewind(r, k)
	s.offset, s.eof = k, false
	s.mem, s.lo, s.hi = nil, 0, 0
	s.c.log.Debug("upload resumes from the source", "repository", s.repo, "offset", k)
	return nil
}

// parseRange reads an upload's "Range: 0-END" (some registries write
// "bytes=0-END") and returns END+1, the number of bytes held.
func parseRange(v string) (int64, bool) {
	v = strings.TrimSpace(v)
	v = strings.TrimPrefix(strings.TrimPrefix(v, "bytes="), "bytes ")
	start, end, ok := strings.Cut(v, "-")
	if !ok {
		return 0, false
	}
	if i := strings.IndexByte(end, '/'); i >= 0 {
		end = end[:i]
	}
	a, err1 := strconv.ParseInt(start, 10, 64)
	b, err2 := strconv.ParseInt(end, 10, 64)
	if err1 != nil || err2 != nil || a != 0 || b < 0 || b == math.MaxInt64 {
		return 0, false
	}
	return b + 1, true
}

// retryableUpload reports failures that sending again (from the offset the
// registry reports) may cure: a cut connection, 5xx, 429, a timeout, a
// range the registry did not expect, a body too large for it.
func retryableUpload(err error) bool {
	var re *Error
	if errors.As(err, &re) {
		switch re.Status {
		case http.StatusRequestTimeout, http.StatusRequestEntityTooLarge, http.StatusRequestedRangeNotSatisfiable,
			http.StatusExpectationFailed, http.StatusTooManyRequests:
			return true
		case http.StatusNotImplemented, http.StatusHTTPVersionNotSupported:
			return false
		}
		return re.Status >= 500
	}
	return errors.Is(err, errdefs.ErrUnavailable)
}

// tooLarge reports a 413: the request body was more than the registry,
// or a proxy in front of it, takes.
func tooLarge(err error) bool {
	var re *Error
	return errors.As(err, &re) && re.Status == http.StatusRequestEntityTooLarge
}

// cut reports a connection that failed without an answer.
func cut(err error) bool {
	var re *Error
	return err != nil && !errors.As(err, &re) && errors.Is(err, errdefs.ErrUnavailable)
}

// rangeRefused reports a 416: the registry expected another offset.
func rangeRefused(err error) bool {
	var re *Error
	return errors.As(err, &re) && re.Status == http.StatusRequestedRangeNotSatisfiable
}
