package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/registry/auth"
)

// unknownSizeTail is how much of a stream of unknown size is kept in
// memory for resending after a cut.
const unknownSizeTail = 16 << 20

// stream sends the whole content in one PATCH, the fastest way when
// nothing stands in its way. It keeps the last bytes sent (up to a chunk)
// in memory and, for a blob larger than that, asks "Expect:
// 100-continue", so a proxy that refuses the size answers 413 before the
// bytes travel. When the PATCH is
// refused as too large, cut or failed, it learns from the registry how
// much it holds and reports that the rest must go in chunks (true),
// starting with the bytes kept in memory; the client then sends every
// later blob in chunks too.
func (s *session) stream(ctx context.Context) (bool, error) {
	keep := s.c.chunkFor(s.minChunk)
	if s.size < 0 {
		// A stream of unknown size (a layer compressed on the way) cannot
		// be read again, and a proxy that cuts it may have let several
		// MiB through socket buffers first: keep more of it.
		keep = max(keep, unknownSizeTail)
	} else if s.reopen != nil {
		keep = 0 // after a cut the source is read again (rewind)
	} else {
		var release func()
		keep, release = s.c.reserveTail(min(keep, s.size))
		defer release()
	}
	tail := newTail(keep, s.size)
	body := &teeReader{r: s.src, tail: tail}
	length := int64(-1)
	if s.size > 0 {
		length = s.size
	}
	h := http.Header{"Content-Type": {"application/octet-stream"}}
	if s.size < 0 || s.size > s.c.chunkFor(s.minChunk) {
		// Only for blobs larger than a chunk: a smaller one is resent
		// (from memory or the source) at little cost, and a server that
		// ignores Expect costs a second of waiting.
		h.Set("Expect", "100-continue")
	}
	resp, err := s.c.do(ctx, &request{
		method: http.MethodPatch, url: s.loc.String(), header: h,
		stream: body, length: length,
		scopes: s.c.scopes(s.repo, auth.ActionPush),
	}, http.StatusAccepted, http.StatusNoContent, http.StatusCreated)
	sent := body.stop()
	if err == nil {
		drain(resp)
		s.moveTo(resp)
		s.offset = sent
		return false, nil
	}
	if s.src.err != nil {
		return false, s.src.err // the source failed: the reason to report
	}
	if s.size >= 0 && (sent > s.size || (s.src.eof && sent != s.size)) {
		return false, fmt.Errorf("%w: blob %s: got %d bytes, want %d", errdefs.ErrSizeMismatch, s.want, s.src.n, s.size)
	}
	if ctx.Err() != nil || !retryableUpload(err) {
		return false, err
	}
	if tooLarge(err) || cut(err) {
		// A proxy's body limit (remembered for later copies too) or a
		// proxy's timeout, perhaps (chunks for the rest of this copy).
		chunk := s.c.chunkFor(s.minChunk)
		if tooLarge(err) && sent == 0 && s.size > 0 {
			chunk = min(chunk, s.size/2)
		}
		s.c.learnLimit(chunk, tooLarge(err))
	}
	var re *Error
	if errors.As(err, &re) && re.Status != http.StatusRequestEntityTooLarge {
		// 429, 5xx: wait as asked (Retry-After) or a first backoff.
		wait := s.c.backoff(1)
		if re.Wait > 0 && re.Wait <= s.c.retry.maxWait {
			wait = re.Wait
		}
		if werr := s.c.wait(ctx, wait); werr != nil {
			return false, werr
		}
	}
	// With "Range: 0-0" (none or one byte) k is 0: if the registry holds
	// one byte, the first chunk gets a 416 and the chunk loop finds out.
	k, _, serr := s.status(ctx)
	if serr != nil {
		return false, fmt.Errorf("%w (and asking the registry how much it holds failed: %v)", err, serr)
	}
	b, ok := tail.since(k, sent)
	if !ok && s.reopen != nil && k <= sent {
		s.c.log.Debug("streamed upload failed, resuming in chunks", "repository", s.repo, "sent", sent, "held", k, "error", err)
		return true, s.rewind(ctx, k)
	}
	if !ok {
		return false, fmt.Errorf("%w: the upload broke after %d bytes, of which the registry kept %d, and the rest is no longer in memory to resume from; retry the copy (uploads to %s now go in chunks): %v",
			errdefs.ErrUnavailable, sent, k, s.c.host, unwrapUnavailable(err))
	}
	s.c.log.Debug("streamed upload failed, resuming in chunks", "repository", s.repo, "sent", sent, "held", k, "error", err)
	s.offset = k
	s.mem, s.lo, s.hi = b, 0, len(b)
	return true, nil
}

// teeReader passes reads through, counting them and keeping the last
// bytes in tail. The HTTP transport may still read a request body after
// the request returned (an answer that came before the whole body was
// sent): stop fences it off, so the session can use the source and the
// tail safely afterwards.
type teeReader struct {
	mu      sync.Mutex
	r       *hashingReader
	tail    *tail
	n       int64
	stopped bool
}

func (t *teeReader) Read(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return 0, errBodyStopped
	}
	n, err := t.r.Read(p)
	t.tail.write(p[:n])
	t.n += int64(n)
	return n, err
}

// stop makes later reads fail and returns the number of bytes read.
func (t *teeReader) stop() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopped = true
	return t.n
}

var errBodyStopped = errors.New("request body read after the request ended")

// tail keeps the last max bytes written: byte p of the stream sits at
// buf[p % max]. The buffer grows as bytes come, so a small blob does not
// cost a whole chunk of memory.
type tail struct {
	buf   []byte
	max   int64
	total int64 // bytes written in all
}

// newTail keeps up to max bytes; size, when known (> 0), bounds the
// memory set aside at once.
func newTail(max, size int64) *tail {
	t := &tail{max: max}
	if size > 0 {
		t.buf = make([]byte, 0, min(max, size))
	}
	return t
}

func (t *tail) write(p []byte) {
	if t.max == 0 {
		t.total += int64(len(p))
		return
	}
	if n := int64(len(p)); n > t.max {
		t.total += n - t.max // only the last max bytes can be kept
		p = p[n-t.max:]
		// They fill the whole ring, wherever it starts.
		t.buf = append(t.buf, make([]byte, int(t.max)-len(t.buf))...)
	}
	for len(p) > 0 {
		pos := int(t.total % t.max)
		var n int
		if int64(len(t.buf)) < t.max {
			n = min(len(p), int(t.max)-len(t.buf))
			t.buf = append(t.buf, p[:n]...)
		} else {
			n = copy(t.buf[pos:], p)
		}
		p = p[n:]
		t.total += int64(n)
	}
}

// has reports whether bytes [from, to) of the stream are kept.
func (t *tail) has(from, to int64) bool {
	return from <= to && to <= t.total && from >= t.total-int64(len(t.buf))
}

// since returns a copy of bytes [from, to) of the stream, when kept.
func (t *tail) since(from, to int64) ([]byte, bool) {
	if !t.has(from, to) {
		return nil, false
	}
	out := make([]byte, 0, to-from)
	for p := from; p < to; {
		pos := p % t.max
		n := min(to-p, int64(len(t.buf))-pos)
		out = append(out, t.buf[pos:pos+n]...)
		p += n
	}
	return out, true
}

// unwrapUnavailable drops a leading "service unavailable: " from err's
// text, for a message that already says so.
func unwrapUnavailable(err error) string {
	return strings.TrimPrefix(err.Error(), errdefs.ErrUnavailable.Error()+": ")
}
