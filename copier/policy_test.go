package copier

import (
	"context"
	"errors"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/progress"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// blobCounter wraps a source and counts Blob calls, to prove a refused
// copy reads no blob.
type blobCounter struct {
	transport.Source
	n atomic.Int64
}

func (b *blobCounter) Blob(ctx context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
	b.n.Add(1)
	return b.Source.Blob(ctx, d)
}

// seen records what a policy was shown.
type seen struct {
	mu   sync.Mutex
	imgs []Instance
}

func (s *seen) policy(refuse bool) Policy {
	return PolicyFunc(func(_ context.Context, src transport.Reference, img Instance) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.imgs = append(s.imgs, img)
		if refuse {
			return errors.New("no signature from a trusted key")
		}
		return nil
	})
}

func (s *seen) digests() []digest.Digest {
	var out []digest.Digest
	for _, img := range s.imgs {
		out = append(out, img.Digest)
	}
	slices.Sort(out)
	return out
}

func TestPolicyRefusalReadsNoBlobAndOpensNoDestination(t *testing.T) {
	t.Parallel()
	ix := testimage.NewIndex(false, amd64, arm64)
	for _, mode := range []MultiArch{System, All} {
		src := &blobCounter{Source: ix.Source()}
		opened := false
		dst := &countingRef{memRef: memRef{dst: newMemDest(), name: "dst"}, onOpen: func() { opened = true }}
		var s seen
		_, err := Copy(context.Background(), &memRef{src: src, name: "src"}, dst, Options{MultiArch: mode, Policy: s.policy(true)})
		var rejected *RejectedError
		if !errors.As(err, &rejected) || !errors.Is(err, errdefs.ErrDenied) {
			t.Fatalf("mode %d: got %v, want a RejectedError wrapping ErrDenied", mode, err)
		}
		if got, want := err.Error(), "Source image rejected: no signature from a trusted key"; got != want {
			t.Errorf("error %q, want %q", got, want)
		}
		if n := src.n.Load(); n != 0 {
			t.Errorf("mode %d: %d blobs read before the refusal", mode, n)
		}
		if opened {
			t.Errorf("mode %d: the destination was opened before the refusal", mode)
		}
	}
}

// TestPolicySeesEveryImageCopied: the policy is shown each instance the
// copy writes (not the index), the chosen one alone for System, and the
// index when it is all that is copied.
func TestPolicySeesEveryImageCopied(t *testing.T) {
	t.Parallel()
	ix := testimage.NewIndex(false, amd64, arm64, s390x)
	sorted := func(ds ...digest.Digest) []digest.Digest { slices.Sort(ds); return ds }
	tests := []struct {
		name string
		o    Options
		want []digest.Digest
	}{
		{"system", Options{Platform: arm64}, sorted(ix.Images[1].Digest)},
		{"all", Options{MultiArch: All}, sorted(ix.Images[0].Digest, ix.Images[1].Digest, ix.Images[2].Digest)},
		{"platforms", Options{MultiArch: Platforms, Platforms: []manifest.Platform{amd64, s390x}}, sorted(ix.Images[0].Digest, ix.Images[2].Digest)},
		{"index only", Options{MultiArch: IndexOnly}, sorted(ix.Digest)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var s seen
			tt.o.Policy = s.policy(false)
			if _, err := copyTo(t, ix.Source(), newMemDest(), tt.o); err != nil {
				t.Fatal(err)
			}
			if got := s.digests(); !slices.Equal(got, tt.want) {
				t.Errorf("policy saw %v, want %v", got, tt.want)
			}
			for _, img := range s.imgs {
				if digest.FromBytes(img.Manifest) != img.Digest || img.MediaType == "" {
					t.Errorf("instance %s: manifest bytes or media type do not match", img.Digest)
				}
			}
		})
	}
}

// recorder keeps every event.
type recorder struct {
	mu     sync.Mutex
	events []progress.Event
}

func (r *recorder) Report(e progress.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) imageKinds() []progress.Kind {
	var out []progress.Kind
	for _, e := range r.events {
		if e.Kind.IsImage() && e.Kind != progress.ImageStep {
			out = append(out, e.Kind)
		}
	}
	return out
}

func TestImageEvents(t *testing.T) {
	t.Parallel()
	img := testimage.New(testimage.Options{})
	t.Run("done", func(t *testing.T) {
		t.Parallel()
		var rec recorder
		res, err := copyTo(t, img.Source(), newMemDest(), Options{Progress: &rec, Label: "app:1"})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := rec.imageKinds(), []progress.Kind{progress.ImageStarted, progress.ImageDone}; !slices.Equal(got, want) {
			t.Fatalf("image events %v, want %v", got, want)
		}
		first, last := rec.events[0], rec.events[len(rec.events)-1]
		if first.Kind != progress.ImageStarted || last.Kind != progress.ImageDone || last.Descriptor.Digest != res.Digest {
			t.Errorf("first %+v, last %+v: want started first and done (with digest %s) last", first, last, res.Digest)
		}
		for _, e := range rec.events {
			if e.Image != "app:1" {
				t.Errorf("event %+v does not name its image", e)
			}
		}
	})
	t.Run("failed", func(t *testing.T) {
		t.Parallel()
		var rec recorder
		dst := newMemDest()
		dst.failBlob = img.Layers[0].Digest
		if _, err := copyTo(t, img.Source(), dst, Options{Progress: &rec}); err == nil {
			t.Fatal("copy succeeded despite a failing blob")
		}
		if got, want := rec.imageKinds(), []progress.Kind{progress.ImageStarted, progress.ImageFailed}; !slices.Equal(got, want) {
			t.Fatalf("image events %v, want %v", got, want)
		}
		last := rec.events[len(rec.events)-1]
		if last.Kind != progress.ImageFailed || last.Err == nil || last.Image != "mem:src" {
			t.Errorf("last event %+v: want ImageFailed with the error, named after the source", last)
		}
	})
	t.Run("instances", func(t *testing.T) {
		t.Parallel()
		ix := testimage.NewIndex(false, amd64, arm64)
		var rec recorder
		if _, err := copyTo(t, ix.Source(), newMemDest(), Options{Progress: &rec, MultiArch: All}); err != nil {
			t.Fatal(err)
		}
		owner := map[digest.Digest]digest.Digest{}
		for _, img := range ix.Images {
			for _, l := range img.Layers {
				owner[l.Digest] = img.Digest
			}
		}
		for _, e := range rec.events {
			if e.Kind == progress.Done && owner[e.Descriptor.Digest] != "" && e.Instance != owner[e.Descriptor.Digest] {
				t.Errorf("layer %s reported for instance %q, want %s", e.Descriptor.Digest, e.Instance, owner[e.Descriptor.Digest])
			}
		}
	})
}

// TestSharedLimiter: two copies sharing a one-slot Limiter never move two
// blobs at once, whatever their Concurrency says.
func TestSharedLimiter(t *testing.T) {
	t.Parallel()
	lim := NewLimiter(1)
	var flight, most atomic.Int64
	track := func(d *memDest) *memDest {
		d.onPut = func(delta int64) {
			n := flight.Add(delta)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
		}
		return d
	}
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			img := testimage.New(testimage.Options{Seed: int64(i), LayerSizes: []int{1 << 16, 1 << 16, 1 << 16, 1 << 16}})
			if _, err := copyTo(t, img.Source(), track(newMemDest()), Options{Limiter: lim, Concurrency: 6}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := most.Load(); got != 1 {
		t.Errorf("at most %d blobs in flight across both copies, want 1", got)
	}
}
