package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/registry/auth"
)

// chunks sends the rest of the content in PATCH requests of at most a
// chunk each, with "Content-Range: START-END" (distribution spec,
// "Pushing a blob in chunks"). A chunk is read into memory first, so when
// its request fails (a cut connection, 5xx, 429, 416) it is sent again
// from the offset the registry reports holding (GET on the session); when
// it is refused as too large (413), or cut with nothing stored, it is
// sent in halves, and the client keeps the smaller size for every later
// blob. Chunks are at least the registry's OCI-Chunk-Min-Length, except
// the last, unless a proxy refuses that much.
func (s *session) chunks(ctx context.Context) error {
	chunk := s.c.chunkFor(s.minChunk)
	failures := 0
	for {
		if err := s.fill(chunk); err != nil {
			return err
		}
		if s.pending() == 0 {
			return nil
		}
		n := min(s.pending(), chunk)
		before := s.offset
		err := s.patch(ctx, s.mem[s.lo:s.lo+int(n)])
		if err == nil {
			failures = 0
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if s.src.err != nil {
			return s.src.err
		}
		if !retryableUpload(err) {
			if chunkRefused(err) && !s.c.wantChunksOnly() {
				// A registry without chunked uploads: the rest in one go.
				s.c.log.Debug("chunk refused, sending the rest in one request", "repository", s.repo, "offset", s.offset, "error", err)
				return s.streamRest(ctx)
			}
			return err
		}
		if tooLarge(err) {
			// Refused before it was stored: halve, no need to ask.
			if n <= MinChunkSize {
				return fmt.Errorf("%w: the registry, or a proxy in front of it, refuses even a %d-byte request", err, n)
			}
			chunk = max(n/2, MinChunkSize)
			s.c.learnLimit(chunk, true)
			s.c.log.Debug("chunk refused as too large, halving", "repository", s.repo, "chunk", chunk)
			continue
		}
		failures++
		if failures >= s.c.retry.attempts {
			return err
		}
		var re *Error
		wait := s.c.backoff(failures)
		if errors.As(err, &re) && re.Wait > 0 && re.Wait <= s.c.retry.maxWait {
			wait = re.Wait
		}
		s.c.log.Debug("chunk failed, resuming", "repository", s.repo, "offset", before, "size", n, "error", err, "wait", wait)
		if werr := s.c.wait(ctx, wait); werr != nil {
			return werr
		}
		k, exact, serr := s.status(ctx)
		if serr != nil {
			if retryableUpload(serr) && failures+1 < s.c.retry.attempts {
				continue // the next chunk request finds out
			}
			return fmt.Errorf("%w (and asking the registry how much it holds failed: %v)", err, serr)
		}
		if !exact && k == 0 && rangeRefused(err) && s.offset == 0 {
			k = 1 // "Range: 0-0" and offset 0 refused: it holds one byte
		}
		if err := s.resumeAt(ctx, k); err != nil {
			return err
		}
		if cut(err) && k == before && n > MinChunkSize && n > s.minChunk {
			// Nothing got through: perhaps a proxy that drops large
			// requests without a word. Smaller chunks, for this blob.
			chunk = max(n/2, MinChunkSize, s.minChunk)
		}
	}
}

// streamRest sends what is pending and the rest of the source in one
// PATCH without Content-Range, for a registry that refuses chunks.
func (s *session) streamRest(ctx context.Context) error {
	f := &fence{}
	pending := f.reader(s.mem[s.lo:s.hi])
	rest := &teeReader{r: s.src, tail: newTail(1, 0)}
	length := int64(-1)
	if s.size >= 0 {
		length = s.size - s.offset
	}
	resp, err := s.c.do(ctx, &request{
		method: http.MethodPatch, url: s.loc.String(),
		header: http.Header{"Content-Type": {"application/octet-stream"}},
		stream: io.MultiReader(pending, rest), length: length,
		scopes: s.c.scopes(s.repo, auth.ActionPush),
	}, http.StatusAccepted, http.StatusNoContent, http.StatusCreated)
	f.close()
	sent := rest.stop()
	if err != nil {
		if s.src.err != nil {
			return s.src.err
		}
		if s.size >= 0 && s.src.eof && s.src.n != s.size {
			return fmt.Errorf("%w: blob %s: got %d bytes, want %d", errdefs.ErrSizeMismatch, s.want, s.src.n, s.size)
		}
		return err
	}
	drain(resp)
	s.moveTo(resp)
	s.offset += s.pending() + sent
	s.lo, s.hi, s.eof = 0, 0, true
	return nil
}

// chunkRefused reports a registry refusing a PATCH with Content-Range
// outright (400, 405, 501), as one without chunked uploads may.
func chunkRefused(err error) bool {
	var re *Error
	if !errors.As(err, &re) {
		return false
	}
	switch re.Status {
	case http.StatusBadRequest, http.StatusMethodNotAllowed, http.StatusNotImplemented:
		return re.Code != "DIGEST_INVALID" && re.Code != "SIZE_INVALID" && re.Code != "BLOB_UPLOAD_INVALID"
	}
	return false
}

// fill reads from the source until a chunk is pending or the source ends.
// With the size known, it reads at most one byte past it (which shows a
// source longer than said) and allocates no more than the blob needs.
func (s *session) fill(chunk int64) error {
	if s.eof || s.pending() >= chunk {
		return nil
	}
	if s.lo > 0 {
		s.hi = copy(s.mem, s.mem[s.lo:s.hi])
		s.lo = 0
	}
	limit := chunk
	if s.size >= 0 {
		limit = max(min(chunk, s.size-s.offset+1), s.pending()+1)
	}
	if int64(len(s.mem)) < limit {
		mem := make([]byte, limit)
		copy(mem, s.mem[:s.hi])
		s.mem = mem
	}
	n, err := io.ReadFull(s.src, s.mem[s.hi:limit])
	s.hi += n
	switch err {
	case nil:
	case io.EOF, io.ErrUnexpectedEOF:
		s.eof = true
	default:
		return err
	}
	if s.size >= 0 && s.src.n > s.size {
		return fmt.Errorf("%w: blob %s: more than %d bytes", errdefs.ErrSizeMismatch, s.want, s.size)
	}
	return nil
}

// patch sends p, the bytes from the session's offset on, as one chunk and
// moves the session past them. A chunk larger than any the registry took
// so far asks "Expect: 100-continue", so a proxy that refuses its size
// says so before the bytes travel.
func (s *session) patch(ctx context.Context, p []byte) error {
	start, end := s.offset, s.offset+int64(len(p))-1
	h := http.Header{
		"Content-Type":  {"application/octet-stream"},
		"Content-Range": {strconv.FormatInt(start, 10) + "-" + strconv.FormatInt(end, 10)},
	}
	if int64(len(p)) > s.c.confirmed() {
		h.Set("Expect", "100-continue")
	}
	f := &fence{}
	resp, err := s.c.do(ctx, &request{
		method: http.MethodPatch, url: s.loc.String(), header: h,
		getBody: func() (io.ReadCloser, error) { return f.reader(p), nil },
		length:  int64(len(p)),
		scopes:  s.c.scopes(s.repo, auth.ActionPush),
		once:    true,
	}, http.StatusAccepted, http.StatusNoContent)
	f.close() // p's memory is reused for the next chunk
	if err != nil {
		return err
	}
	drain(resp)
	s.moveTo(resp)
	if v := resp.Header.Get("Range"); v != "" {
		if got, ok := parseRange(v); !ok || got != end+1 {
			// Not what the spec says to answer; the registry checks the
			// whole blob against its digest at the end anyway.
			s.c.log.Debug("chunk acknowledged with an unexpected Range", "repository", s.repo, "range", v, "sent", fmt.Sprintf("%d-%d", start, end))
		}
	}
	s.c.confirm(int64(len(p)))
	s.lo += len(p)
	s.offset = end + 1
	return nil
}

// fence hands out readers of a buffer and, once closed, makes them fail:
// the HTTP transport may still read a request body after the request
// returned (an answer that came before the whole body was sent), and the
// buffer is about to be reused.
type fence struct {
	mu     sync.Mutex
	closed bool
}

func (f *fence) reader(p []byte) io.ReadCloser { return &fencedReader{f: f, r: bytes.NewReader(p)} }

func (f *fence) close() {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
}

type fencedReader struct {
	f *fence
	r *bytes.Reader
}

func (r *fencedReader) Read(p []byte) (int, error) {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	if r.f.closed {
		return 0, errBodyStopped
	}
	return r.r.Read(p)
}

func (r *fencedReader) Close() error { return nil }
