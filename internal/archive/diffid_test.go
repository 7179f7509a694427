package archive_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/archive"
	"github.com/ferrytool/ferry/internal/archive/tartest"
	"github.com/opencontainers/go-digest"
)

// LayerReader passes the bytes through untouched and gives the digest of
// the bytes and of their decompressed content; corrupt compressed content
// is invalid input.
func TestLayerReader(t *testing.T) {
	t.Parallel()
	plain := bytes.Repeat([]byte("a layer's tar bytes "), 5000)
	gz := tartest.Gzip(t, plain)
	corrupt := bytes.Clone(gz)
	corrupt[len(corrupt)/2] ^= 0xff
	for _, tc := range []struct {
		name string
		in   []byte
		err  error
	}{
		{"plain", plain, nil},
		{"gzip", gz, nil},
		{"zstd", tartest.Zstd(t, plain), nil},
		{"corrupt gzip", corrupt, errdefs.ErrInvalidArchive},
		{"truncated gzip", gz[:len(gz)/2], errdefs.ErrInvalidArchive},
	} {
		lr := archive.NewLayerReader(bytes.NewReader(tc.in), archive.Detect(tc.in))
		passed, err := io.ReadAll(lr)
		if err != nil && tc.err == nil {
			t.Errorf("%s: read: %v", tc.name, err)
		}
		if err == nil && !bytes.Equal(passed, tc.in) {
			t.Errorf("%s: the bytes were changed on the way", tc.name)
		}
		raw, diff, err := lr.Finish()
		lr.Close()
		if !errors.Is(err, tc.err) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.err)
		}
		if err != nil {
			continue
		}
		if raw != digest.FromBytes(tc.in) || diff != digest.FromBytes(plain) {
			t.Errorf("%s: raw %s diff %s, want %s and %s", tc.name, raw, diff, digest.FromBytes(tc.in), digest.FromBytes(plain))
		}
	}
	// Closed half-way, it lets its decompressor go.
	lr := archive.NewLayerReader(bytes.NewReader(gz), archive.Gzip)
	io.ReadFull(lr, make([]byte, 100))
	if err := lr.Close(); err != nil {
		t.Errorf("Close half-way: %v", err)
	}
}
