package cli

import (
	"errors"
	"net/http"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
)

func TestParseChunkSize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want int64
		err  bool
	}{
		{"", 0, false},
		{"0", 0, false},
		{"16MiB", 16 << 20, false},
		{"16M", 16 << 20, false},
		{"16mb", 16 << 20, false},
		{"512KiB", 512 << 10, false},
		{"1G", 0, true},   // over the largest chunk
		{"1000", 0, true}, // under the smallest
		{"16 MiB", 16 << 20, false},
		{"16TiB", 0, true},
		{"-1M", 0, true},
		{"MiB", 0, true},
		{"1.5M", 0, true},
	} {
		got, err := parseChunkSize(tc.in)
		if tc.err {
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Errorf("parseChunkSize(%q): got %d, %v; want ErrInvalidArgument", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseChunkSize(%q): got %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

// TestCopyDestChunkSize: --dest-chunk-size pushes a layer in chunks of at
// most that size.
func TestCopyDestChunkSize(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{})
	img := testimage.New(testimage.Options{LayerSizes: []int{6 << 20}, Seed: 7})
	src := writeOCI(t, t.TempDir(), "1", img)
	if _, stderr, code := runCLI(t, "copy", "--dest-tls-verify=false", "--dest-chunk-size", "1MiB", src, "docker://"+reg.Ref("app:1")); code != 0 {
		t.Fatalf("copy: exit %d: %s", code, stderr)
	}
	patches := 0
	for _, r := range reg.Requests() {
		if r.Method != http.MethodPatch {
			continue
		}
		patches++
		if r.BodyBytes > 1<<20 {
			t.Errorf("a PATCH of %d bytes, want at most 1 MiB", r.BodyBytes)
		}
	}
	if want := int(img.Layers[0].Size >> 20); patches < want {
		t.Errorf("%d PATCH requests for a %d-byte layer, want at least %d", patches, img.Layers[0].Size, want)
	}
	if _, stderr, code := runCLI(t, "copy", "--dest-chunk-size", "lots", src, "docker://"+reg.Ref("app:2")); code != 1 {
		t.Errorf("--dest-chunk-size lots: exit %d, want 1 (%s)", code, stderr)
	}
}
