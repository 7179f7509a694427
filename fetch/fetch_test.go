package fetch

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// slack is what a fetch may read beyond the blob: a connection whose range
// was split reads at most one buffer past its new end.
const slack = 4 * bufSize

func TestFetch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		size   int
		ranged bool // fetched in several ranges
	}{
		{"empty: nothing to ask", 0, false},
		{"one byte", 1, false},
		{"below the threshold", 300 << 10, false},
		{"at the threshold", 1 << 20, true},
		{"large, odd size", 5<<20 + 3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newBlobServer(t, faults{})
			blob, d := testBlob(1, tc.size)
			srv.add(blob, d)
			src := &counting{RangeReader: srv.source()}
			f := newFetcher(t, t.TempDir())
			fetchOK(t, f, src, d, blob)

			reqs := srv.requests()
			if !tc.ranged {
				if tc.size == 0 && len(reqs) != 0 {
					t.Errorf("requests = %q, want none", reqs)
				} else if tc.size > 0 && (len(reqs) != 1 || reqs[0] != "") {
					t.Errorf("requests = %q, want one without a Range", reqs)
				}
			} else {
				if len(reqs) < 2 {
					t.Errorf("requests = %q, want several ranges", reqs)
				}
				for _, r := range reqs {
					if !strings.HasPrefix(r, "bytes=") || strings.HasSuffix(r, "-") {
						t.Errorf("request Range %q, want a closed range", r)
					}
				}
			}
			if got := src.read.Load(); got < d.Size || got > d.Size+slack {
				t.Errorf("read %d bytes for a blob of %d", got, d.Size)
			}
			if got := src.maxOpen(); got > 4 {
				t.Errorf("%d requests at once, want at most 4", got)
			}
			entries, err := f.Cache().List()
			if err != nil || len(entries) != 1 || !entries[0].Complete || entries[0].Size != d.Size {
				t.Errorf("List() = %+v, %v; want the one complete blob", entries, err)
			}
		})
	}
}

func TestFetchReusesTheCache(t *testing.T) {
	t.Parallel()
	srv := newBlobServer(t, faults{})
	blob, d := testBlob(2, 3<<20)
	srv.add(blob, d)
	dir := t.TempDir()
	fetchOK(t, newFetcher(t, dir), srv.source(), d, blob)
	n := len(srv.requests())

	// A new Fetcher (a later run) finds the blob by digest.
	f := newFetcher(t, dir)
	fetchOK(t, f, srv.source(), d, blob)
	if got := len(srv.requests()); got != n {
		t.Errorf("the second fetch made %d requests, want none", got-n)
	}
	b, err := f.Fetch(context.Background(), srv.source(), d)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if want := filepath.Join(dir, "sha256", d.Digest.Encoded()); b.Name() != want {
		t.Errorf("Blob.Name() = %s, want %s", b.Name(), want)
	}
}

func TestFetchServerIgnoresRange(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		have int64 // bytes already in a partial blob
	}{
		{"fresh", 0},
		{"resumed", 1<<20 + 17},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newBlobServer(t, faults{ignoreRange: true})
			blob, d := testBlob(3, 4<<20)
			srv.add(blob, d)
			dir := t.TempDir()
			if tc.have > 0 {
				writePartial(t, dir, d, blob, spanSet{{0, tc.have}}, 0)
			}
			src := &counting{RangeReader: srv.source()}
			fetchOK(t, newFetcher(t, dir), src, d, blob)
			if reqs := srv.requests(); len(reqs) != 1 {
				t.Errorf("requests = %q, want exactly one", reqs)
			}
			if got := src.read.Load(); got != d.Size {
				t.Errorf("read %d bytes, want the blob once (%d)", got, d.Size)
			}
		})
	}
}

func TestFetchResumesWithoutRehashing(t *testing.T) {
	t.Parallel()
	blob, d := testBlob(4, 4<<20)
	have := spanSet{{0, 1 << 20}, {2 << 20, 3 << 20}}
	for _, tc := range []struct {
		name    string
		hashed  int64
		forge   bool // the saved hash state is of other bytes
		wantErr error
	}{
		{"nothing hashed", 0, false, nil},
		{"prefix hashed", 700 << 10, false, nil},
		// Proof that the saved state is used rather than the bytes
		// hashed again: a state of other bytes gives another digest.
		{"forged hash state", 700 << 10, true, errdefs.ErrDigestMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newBlobServer(t, faults{})
			srv.add(blob, d)
			dir := t.TempDir()
			hashFrom := blob
			if tc.forge {
				hashFrom = make([]byte, len(blob))
			}
			writePartialFrom(t, dir, d, blob, hashFrom, have, tc.hashed)
			src := &counting{RangeReader: srv.source()}
			f := newFetcher(t, dir)
			if tc.wantErr != nil {
				_, err := f.Fetch(context.Background(), src, d)
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Fetch: %v, want %v", err, tc.wantErr)
				}
				return
			}
			fetchOK(t, f, src, d, blob)
			if got, want := src.read.Load(), d.Size-have.total(); got < want || got > want+slack {
				t.Errorf("read %d bytes, want the %d missing", got, want)
			}
		})
	}
}

func TestFetchDiscardsCorruptContent(t *testing.T) {
	t.Parallel()
	srv := newBlobServer(t, faults{corrupt: true, corruptAt: 2<<20 + 5})
	blob, d := testBlob(5, 3<<20)
	srv.add(blob, d)
	dir := t.TempDir()
	f := newFetcher(t, dir)
	_, err := f.Fetch(context.Background(), srv.source(), d)
	if !errors.Is(err, errdefs.ErrDigestMismatch) {
		t.Fatalf("Fetch: %v, want a digest mismatch", err)
	}
	if entries, _ := f.Cache().List(); len(entries) != 0 {
		t.Errorf("the cache keeps %+v, want nothing", entries)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "sha256", "*"))
	if len(left) != 0 {
		t.Errorf("files left in the cache: %q", left)
	}
}

func TestFetchReplacesStalledConnection(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		at, after int64
	}{
		{"first range, before any byte", 0, 0},
		{"another range, mid-body", 1 << 20, 100 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newBlobServer(t, faults{stall: true, stallAt: tc.at, stallAfter: tc.after})
			blob, d := testBlob(6, 4<<20)
			srv.add(blob, d)
			src := &counting{RangeReader: srv.source()}
			fetchOK(t, newFetcher(t, t.TempDir(), WithStallTimeout(300*time.Millisecond)), src, d, blob)
			if got := src.read.Load(); got > d.Size+slack {
				t.Errorf("read %d bytes for a blob of %d: the stalled range started over", got, d.Size)
			}
		})
	}
}

func TestFetchRetries(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		fail     []int
		wantErr  error
		wantReqs int
	}{
		{"503 twice", []int{503, 503}, nil, 3},
		{"429", []int{429}, nil, 2},
		{"502 then 504", []int{502, 504}, nil, 3},
		{"404 is final", []int{404}, errdefs.ErrNotFound, 1},
		{"401 is final", []int{401}, errdefs.ErrUnauthorized, 1},
		{"403 is final", []int{403}, errdefs.ErrDenied, 1},
		{"503 beyond the retries", []int{503, 503, 503, 503}, errdefs.ErrUnavailable, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newBlobServer(t, faults{failNext: tc.fail})
			blob, d := testBlob(7, 200<<10)
			srv.add(blob, d)
			f := newFetcher(t, t.TempDir(), WithRetries(2, time.Millisecond))
			if tc.wantErr == nil {
				fetchOK(t, f, srv.source(), d, blob)
			} else if _, err := f.Fetch(context.Background(), srv.source(), d); !errors.Is(err, tc.wantErr) {
				t.Fatalf("Fetch: %v, want %v", err, tc.wantErr)
			}
			if got := len(srv.requests()); got != tc.wantReqs {
				t.Errorf("%d requests, want %d", got, tc.wantReqs)
			}
		})
	}
}

func TestFetchCancelKeepsProgress(t *testing.T) {
	t.Parallel()
	const pause = 5<<19 + 1234
	srv := newBlobServer(t, faults{pauseAt: pause})
	blob, d := testBlob(8, 6<<20)
	srv.add(blob, d)
	dir := t.TempDir()
	rep := newSumReporter(pause)
	// One connection: every byte the server sends before its pause is
	// then read and written. With several, a connection that stops at a
	// range another took, or whose range was split, leaves bytes the
	// server sent unread, and the written total may never reach the pause
	// (it hung three times in a few dozen runs under the race detector).
	f := newFetcher(t, dir, WithProgress(rep), WithConnections(1))

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := f.Fetch(ctx, srv.source(), d)
		errc <- err
	}()
	select {
	case <-rep.reached: // every byte the server sent is written
	case err := <-errc:
		t.Fatalf("Fetch ended before the pause (%d of %d bytes written): %v", rep.n.Load(), pause, err)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Fetch after cancel: %v, want context.Canceled", err)
	}
	entries, err := f.Cache().List()
	if err != nil || len(entries) != 1 || entries[0].Complete || entries[0].Stored != pause || entries[0].Size != d.Size {
		t.Fatalf("List() = %+v, %v; want one partial blob holding %d bytes", entries, err, pause)
	}

	srv.unpause()
	src := &counting{RangeReader: srv.source()}
	fetchOK(t, newFetcher(t, dir), src, d, blob)
	if got, want := src.read.Load(), d.Size-pause; got < want || got > want+slack {
		t.Errorf("the second run read %d bytes, want the %d missing", got, want)
	}
}

func TestFetchStartsOverOnDamagedState(t *testing.T) {
	t.Parallel()
	blob, d := testBlob(9, 2<<20)
	good := newSidecar(d, spanSet{{0, 1 << 20}}, 0, nil).encode()
	for _, tc := range []struct {
		name  string
		state []byte
	}{
		{"garbage", []byte("not a sidecar")},
		{"torn", good[:len(good)/2]},
		{"bad checksum", append(good[:len(good)-3:len(good)-3], "0\n"...)},
		{"other digest", newSidecar(ocispec.Descriptor{Digest: digest.Digest("sha256:" + strings.Repeat("a", 64)), Size: d.Size}, spanSet{{0, 1 << 20}}, 0, nil).encode()},
		{"range past the end", newSidecar(d, spanSet{{0, d.Size + 1}}, 0, nil).encode()},
		{"hashed past the ranges", (&sidecar{Version: stateVersion, Digest: d.Digest, Size: d.Size, Ranges: [][2]int64{{0, 10}}, Hashed: 20, HashState: []byte("x")}).encode()},
		{"bad hash state", (&sidecar{Version: stateVersion, Digest: d.Digest, Size: d.Size, Ranges: [][2]int64{{0, 10}}, Hashed: 10, HashState: []byte("x")}).encode()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newBlobServer(t, faults{})
			srv.add(blob, d)
			dir := t.TempDir()
			// The partial file holds garbage: trusting it would fail.
			writePartialFrom(t, dir, d, make([]byte, len(blob)), blob, spanSet{{0, 1 << 20}}, 0)
			p := (&Cache{dir: dir}).paths(d.Digest)
			if err := os.WriteFile(p.state, tc.state, 0o644); err != nil {
				t.Fatal(err)
			}
			src := &counting{RangeReader: srv.source()}
			fetchOK(t, newFetcher(t, dir), src, d, blob)
			if got := src.read.Load(); got < d.Size {
				t.Errorf("read %d bytes, want the whole blob (%d) again", got, d.Size)
			}
		})
	}
}

func TestFetchSameBlobOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		fetchers int // 1: one Fetcher called twice; 2: two Fetchers sharing the directory (two processes)
	}{
		{"one fetcher", 1},
		{"two fetchers", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newBlobServer(t, faults{})
			blob, d := testBlob(10, 3<<20)
			srv.add(blob, d)
			dir := t.TempDir()
			fs := []*Fetcher{newFetcher(t, dir)}
			if tc.fetchers == 2 {
				fs = append(fs, newFetcher(t, dir))
			}
			src := &counting{RangeReader: srv.source()}
			var wg sync.WaitGroup
			for i := range 2 {
				wg.Go(func() { fetchOK(t, fs[i%len(fs)], src, d, blob) })
			}
			wg.Wait()
			if got := src.read.Load(); got > d.Size+slack {
				t.Errorf("read %d bytes for a blob of %d: it was fetched twice", got, d.Size)
			}
		})
	}
}

func TestFetchConnections(t *testing.T) {
	t.Parallel()
	t.Run("one blob uses several at once", func(t *testing.T) {
		t.Parallel()
		// Responses wait until three requests are in flight: a fetch
		// that used one connection at a time would never finish.
		srv := newBlobServer(t, faults{barrier: 3})
		blob, d := testBlob(11, 4<<20)
		srv.add(blob, d)
		src := &counting{RangeReader: srv.source()}
		fetchOK(t, newFetcher(t, t.TempDir(), WithConnections(3)), src, d, blob)
		if got := src.maxOpen(); got != 3 {
			t.Errorf("%d requests at once, want 3", got)
		}
	})
	t.Run("the budget bounds all blobs", func(t *testing.T) {
		t.Parallel()
		srv := newBlobServer(t, faults{})
		f := newFetcher(t, t.TempDir(), WithConnections(3))
		src := &counting{RangeReader: srv.source()}
		var wg sync.WaitGroup
		for i := range 4 {
			blob, d := testBlob(uint64(20+i), (i+2)<<20)
			srv.add(blob, d)
			wg.Go(func() { fetchOK(t, f, src, d, blob) })
		}
		wg.Wait()
		if got := src.maxOpen(); got > 3 {
			t.Errorf("%d requests at once, want at most 3", got)
		}
	})
}
