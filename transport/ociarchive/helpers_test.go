package ociarchive_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/verify"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/ociarchive"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

var (
	amd64 = manifest.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = manifest.Platform{OS: "linux", Architecture: "arm64"}
)

// testImage is what testimage builds: a single image or an index.
type testImage interface {
	Write(ctx context.Context, dst transport.Destination) error
	Source() *testimage.Source
}

func parse(t *testing.T, s string) *ociarchive.Reference {
	t.Helper()
	r, err := ociarchive.ParseReference(s)
	if err != nil {
		t.Fatalf("ParseReference(%q): %v", s, err)
	}
	return r
}

func write(t *testing.T, name string, img testImage, o *transport.Options) {
	t.Helper()
	ctx := context.Background()
	dst, err := parse(t, name).NewDestination(ctx, o)
	if err != nil {
		t.Fatalf("NewDestination(%s): %v", name, err)
	}
	defer dst.Close()
	if err := img.Write(ctx, dst); err != nil {
		t.Fatalf("write %s: %v", name, err)
	}
}

// served is everything a source serves for an image or index.
type served struct {
	Top       []byte
	TopType   string
	Manifests map[digest.Digest][]byte
	Blobs     map[digest.Digest][]byte
}

// collect reads the top manifest, every instance and every blob below it,
// verifying each against its digest. With streamed set the blobs come from
// a Stream call instead of Blob.
func collect(t *testing.T, src transport.Source, streamed bool) (*served, error) {
	t.Helper()
	ctx := context.Background()
	out := &served{Manifests: map[digest.Digest][]byte{}, Blobs: map[digest.Digest][]byte{}}
	var mp memPut
	var err error
	if streamed {
		ss, ok := src.(transport.StreamSource)
		if !ok {
			t.Fatalf("%T is not a StreamSource", src)
		}
		if out.Top, out.TopType, err = ss.Stream(ctx, mp.put); err != nil {
			return nil, err
		}
	}
	top, mt, err := src.Manifest(ctx, nil)
	if err != nil {
		return nil, err
	}
	if streamed && !bytes.Equal(top, out.Top) {
		t.Errorf("Manifest after Stream differs from what Stream returned")
	}
	out.Top, out.TopType = top, mt
	images := [][]byte{top}
	if manifest.IsIndex(mt) {
		ix, err := manifest.ParseIndex(top)
		if err != nil {
			return nil, err
		}
		images = nil
		for _, d := range ix.Manifests {
			b, _, err := src.Manifest(ctx, &d.Digest)
			if err != nil {
				return nil, err
			}
			out.Manifests[d.Digest] = b
			images = append(images, b)
		}
	}
	for _, b := range images {
		m, err := manifest.ParseImage(b)
		if err != nil {
			return nil, err
		}
		for _, d := range manifest.Blobs(m) {
			if streamed {
				blob, ok := mp.blobs[d.Digest]
				if !ok {
					return nil, fmt.Errorf("blob %s was never put", d.Digest)
				}
				out.Blobs[d.Digest] = blob
				continue
			}
			rc, err := src.Blob(ctx, d)
			if err != nil {
				return nil, err
			}
			vr, _ := verify.NewReader(rc, d.Digest, d.Size)
			blob, err := io.ReadAll(vr)
			rc.Close()
			if err != nil {
				return nil, err
			}
			out.Blobs[d.Digest] = blob
		}
	}
	return out, nil
}

// want is what collect should find for a testimage.
func want(img testImage) *served {
	s := img.Source()
	out := &served{Top: s.Top, TopType: s.TopType, Manifests: map[digest.Digest][]byte{}, Blobs: s.Blobs}
	if manifest.IsIndex(s.TopType) {
		for d, b := range s.Manifests {
			if !bytes.Equal(b, s.Top) {
				out.Manifests[d] = b
			}
		}
	}
	return out
}

// memPut is a PutFunc keeping blobs in memory; like the copier it checks
// a digest it is given.
type memPut struct {
	mu    sync.Mutex
	blobs map[digest.Digest][]byte
}

func (m *memPut) put(ctx context.Context, d ocispec.Descriptor, r io.Reader) (ocispec.Descriptor, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	got := digest.FromBytes(b)
	if d.Digest != "" && d.Digest != got {
		return ocispec.Descriptor{}, fmt.Errorf("%w: blob %s has digest %s", errdefs.ErrDigestMismatch, d.Digest, got)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.blobs == nil {
		m.blobs = map[digest.Digest][]byte{}
	}
	m.blobs[got] = b
	return ocispec.Descriptor{MediaType: d.MediaType, Digest: got, Size: int64(len(b))}, nil
}
