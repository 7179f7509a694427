package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ferrytool/ferry/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// resumer reads the bytes [pos, end) of a blob in order over one request
// at a time. A request that fails with an error worth retrying, or that
// stalls (see watchdog), is replaced by a new one from the byte it stopped
// at, after a backoff, up to the Fetcher's retries in a row without a byte
// of progress. A server that ignores Range sends the whole blob: from
// byte 0 that is simply the stream (end moves to the blob's end, not a
// byte is wasted); when continuing, the bytes already delivered are
// skipped.
type resumer struct {
	ctx context.Context
	o   *options
	src RangeReader
	d   ocispec.Descriptor

	pos, end int64
	body     io.ReadCloser
	cancel   context.CancelFunc
	dog      *watchdog
	failed   error // why the last request ended early, to retry on the next Read
	failures int   // failed requests in a row without progress
	closed   bool
}

// newResumer opens the first request (retrying as Read would), so that a
// blob that is not there, or not ours, fails here.
func newResumer(ctx context.Context, o *options, src RangeReader, d ocispec.Descriptor, pos, end int64) (*resumer, error) {
	r := &resumer{ctx: ctx, o: o, src: src, d: d, pos: pos, end: end}
	for {
		err := r.open()
		if err == nil {
			return r, nil
		}
		if err := r.pause(err); err != nil {
			return nil, err
		}
	}
}

// Read implements io.Reader.
func (r *resumer) Read(p []byte) (int, error) {
	if r.closed {
		return 0, errClosed
	}
	for {
		if r.pos >= r.end {
			r.closeBody()
			return 0, io.EOF
		}
		if r.body == nil {
			if r.failed != nil {
				if err := r.pause(r.failed); err != nil {
					return 0, err
				}
				r.failed = nil
			}
			if err := r.open(); err != nil {
				r.failed = err
				continue
			}
		}
		if int64(len(p)) > r.end-r.pos {
			p = p[:r.end-r.pos]
		}
		r.dog.start()
		n, err := r.body.Read(p)
		r.dog.stop(n)
		r.pos += int64(n)
		if n > 0 {
			r.failures = 0
		}
		switch {
		case err == io.EOF && r.pos < r.end:
			r.fail(fmt.Errorf("%w: the connection closed %d bytes early", errdefs.ErrUnavailable, r.end-r.pos))
		case err != nil && err != io.EOF:
			r.fail(err)
		}
		if n > 0 || r.pos >= r.end {
			return n, nil
		}
	}
}

// open makes a request for [pos, end) (the whole blob, without Range, when
// that is all of it).
func (r *resumer) open() error {
	rctx, cancel := context.WithCancel(r.ctx)
	dog := newWatchdog(r.o.stall, cancel)
	n := r.end - r.pos
	if r.end == r.d.Size {
		n = -1 // to the end: from 0, the whole blob without a Range
	}
	dog.start()
	body, err := r.src.ReadRange(rctx, r.d, r.pos, n)
	dog.stop(0)
	var skip int64
	switch {
	case errors.Is(err, ErrRangeIgnored) && body != nil:
		err = nil
		if r.pos == 0 {
			r.end = r.d.Size // the whole blob came: it is the stream
		} else {
			skip = r.pos
			r.o.log.Debug("fetch: the server ignored the byte range; skipping what was delivered", "digest", r.d.Digest, "skip", skip)
		}
	case errors.Is(err, ErrRangeIgnored):
		err = permanent(fmt.Errorf("%s: the source ignored a range and sent no body", r.d.Digest))
	}
	if err == nil && skip > 0 {
		err = discard(body, skip, dog)
		if err != nil {
			body.Close()
		}
	}
	if err != nil {
		dog.close()
		cancel()
		if dog.stalled() && r.ctx.Err() == nil {
			return fmt.Errorf("%w: no answer for %v", errStalled, r.o.stall)
		}
		return err
	}
	r.body, r.cancel, r.dog = body, cancel, dog
	return nil
}

// discard reads n bytes of body to nowhere, under the watchdog.
func discard(body io.Reader, n int64, dog *watchdog) error {
	buf := make([]byte, min(n, bufSize))
	for n > 0 {
		dog.start()
		k, err := body.Read(buf[:min(n, int64(len(buf)))])
		dog.stop(k)
		n -= int64(k)
		if err == io.EOF && n > 0 {
			return fmt.Errorf("%w: the connection closed %d bytes early", errdefs.ErrUnavailable, n)
		}
		if err != nil && err != io.EOF {
			return err
		}
	}
	return nil
}

// fail ends the current request; the next Read decides on a new one.
func (r *resumer) fail(err error) {
	if r.dog.stalled() && r.ctx.Err() == nil {
		err = fmt.Errorf("%w: less than %d bytes in %v", errStalled, minProgress, r.o.stall)
	}
	r.closeBody()
	r.failed = err
}

// pause decides whether err is worth another request and waits the
// backoff; it returns the error to give up with.
func (r *resumer) pause(err error) error {
	r.failures++
	switch {
	case r.ctx.Err() != nil:
		return r.ctx.Err()
	case waitTooLong(err) != nil:
		return fmt.Errorf("%s: %w", r.d.Digest, waitTooLong(err))
	case !retryable(err):
		return err
	case r.failures > r.o.retries:
		return fmt.Errorf("%s: giving up after %d attempts in a row: %w", r.d.Digest, r.failures, err)
	}
	wait := backoff(err, r.failures, r.o.retryDelay)
	r.o.log.Debug("fetch: stream interrupted, continuing from its last byte", "digest", r.d.Digest, "offset", r.pos, "wait", wait, "error", err)
	return sleep(r.ctx, wait)
}

func (r *resumer) closeBody() {
	if r.body != nil {
		r.body.Close()
		r.dog.close()
		r.cancel()
		r.body = nil
	}
}

// Close implements io.Closer.
func (r *resumer) Close() error {
	r.closed = true
	r.closeBody()
	return nil
}
