package fetch

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ferrytool/ferry/errdefs"
)

// TestRetryAfterBeyondCapFails: a server that answers 429 with
// Retry-After: 100000 (a rate limit that lasts a day) fails the fetch at
// once, saying how long it asked to wait, instead of waiting the cap again
// and again (about 12 minutes before). Into the cache and as a stream.
func TestRetryAfterBeyondCapFails(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a safety net only
	defer cancel()
	for _, stream := range []bool{false, true} {
		blob, d := testBlob(9, 64<<10)
		srv := newBlobServer(t, faults{failNext: []int{429, 429, 429}, retryAfter: "100000"})
		srv.add(blob, d)
		f := newFetcher(t, t.TempDir())
		var err error
		if stream {
			var rc interface{ Close() error }
			rc, err = f.Stream(ctx, srv.source(), d)
			if err == nil {
				rc.Close()
			}
		} else {
			var b *Blob
			b, err = f.Fetch(ctx, srv.source(), d)
			if err == nil {
				b.Close()
			}
		}
		if !errors.Is(err, errdefs.ErrTooManyRequests) || !strings.Contains(err.Error(), "27h46m40s") {
			t.Errorf("stream=%v: got %v, want ErrTooManyRequests saying the server asks to wait 27h46m40s", stream, err)
		}
		if n := len(srv.requests()); n != 1 {
			t.Errorf("stream=%v: %d requests, want 1", stream, n)
		}
	}
}
