package transporttest

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/verify"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// AssertSame checks that got serves exactly what want holds: the top
// manifest with its media type, every instance manifest and every blob,
// byte for byte (digests kept).
func AssertSame(t *testing.T, want *testimage.Source, got transport.Source) {
	t.Helper()
	ctx := context.Background()
	b, mt, err := got.Manifest(ctx, nil)
	if err != nil {
		t.Fatalf("Manifest(nil): %v", err)
	}
	if !bytes.Equal(b, want.Top) || mt != want.TopType {
		t.Errorf("Manifest(nil): got %s %q, want %s %q", mt, b, want.TopType, want.Top)
	}
	for d, wb := range want.Manifests {
		b, mt, err := got.Manifest(ctx, &d)
		if err != nil {
			t.Errorf("Manifest(%s): %v", d, err)
			continue
		}
		if !bytes.Equal(b, wb) || mt != want.Types[d] {
			t.Errorf("Manifest(%s): got %s, want %s (%d bytes, want %d)", d, mt, want.Types[d], len(b), len(wb))
		}
	}
	for d, wb := range want.Blobs {
		b, err := readBlob(ctx, got, ocispec.Descriptor{Digest: d, Size: int64(len(wb))})
		if err != nil || !bytes.Equal(b, wb) {
			t.Errorf("Blob(%s): got %d bytes (err %v), want %d bytes", d, len(b), err, len(wb))
		}
	}
}

// assertConsistent checks a source that may rewrite what it was given
// (a format that keeps no manifest, a transport that recompresses): the
// top manifest parses as an image, and every blob it names is served and
// hashes to its digest and size. With want set, the layer count matches.
func assertConsistent(t *testing.T, src transport.Source, want *testimage.Source) {
	t.Helper()
	ctx := context.Background()
	b, mt, err := src.Manifest(ctx, nil)
	if err != nil {
		t.Fatalf("Manifest(nil): %v", err)
	}
	if !manifest.IsImage(mt) {
		t.Fatalf("Manifest(nil): media type %q, want an image manifest", mt)
	}
	m, err := manifest.ParseImage(b)
	if err != nil {
		t.Fatalf("Manifest(nil): %v", err)
	}
	if want != nil {
		wm, err := manifest.ParseImage(want.Top)
		if err == nil && len(wm.Layers) != len(m.Layers) {
			t.Errorf("got %d layers, want %d", len(m.Layers), len(wm.Layers))
		}
	}
	for _, d := range manifest.Blobs(m) {
		if _, err := readBlob(ctx, src, d); err != nil {
			t.Errorf("Blob(%s): %v", d.Digest, err)
		}
	}
}

// readBlob reads a blob whole, verifying it against d.
func readBlob(ctx context.Context, src transport.Source, d ocispec.Descriptor) ([]byte, error) {
	rc, err := src.Blob(ctx, d)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	vr, err := verify.NewReader(rc, d.Digest, d.Size)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(vr)
}
