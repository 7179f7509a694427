package copier

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/manifest"
	"github.com/opencontainers/go-digest"
)

var (
	amd64 = manifest.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = manifest.Platform{OS: "linux", Architecture: "arm64"}
	s390x = manifest.Platform{OS: "linux", Architecture: "s390x"}
)

func copyTo(t *testing.T, src *testimage.Source, dst *memDest, o Options) (*Result, error) {
	t.Helper()
	return Copy(context.Background(), &memRef{src: src, name: "src"}, &memRef{dst: dst, name: "dst"}, o)
}

func TestCopyImage(t *testing.T) {
	t.Parallel()
	img := testimage.New(testimage.Options{LayerSizes: []int{100, 5000, 20000}})
	dst := newMemDest()
	res, err := copyTo(t, img.Source(), dst, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Digest != img.Digest || string(dst.top) != string(img.Manifest) {
		t.Errorf("got digest %s, want %s", res.Digest, img.Digest)
	}
	if !dst.committed {
		t.Error("not committed")
	}
	for d, b := range img.Blobs {
		if string(dst.blobs[d]) != string(b) {
			t.Errorf("blob %s missing or different", d)
		}
	}
	// A second copy finds every blob present and moves nothing.
	dst.puts = 0
	if _, err := copyTo(t, img.Source(), dst, Options{}); err != nil {
		t.Fatal(err)
	}
	if dst.puts != 0 {
		t.Errorf("second copy put %d blobs, want 0", dst.puts)
	}
}

func TestCopyIndexModes(t *testing.T) {
	t.Parallel()
	ix := testimage.NewIndex(false, amd64, arm64, s390x)
	tests := []struct {
		name          string
		o             Options
		wantTop       digest.Digest // "" when the index is rewritten
		wantInstances int
		wantEntries   int
	}{
		{"system picks override", Options{Platform: manifest.Platform{Architecture: "arm64"}}, ix.Images[1].Digest, 0, 0},
		{"all keeps the index", Options{MultiArch: All}, ix.Digest, 3, 3},
		{"index only", Options{MultiArch: IndexOnly}, ix.Digest, 0, 3},
		{"platform subset", Options{MultiArch: Platforms, Platforms: []manifest.Platform{amd64, s390x}}, "", 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dst := newMemDest()
			res, err := copyTo(t, ix.Source(), dst, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantTop != "" && res.Digest != tt.wantTop {
				t.Errorf("top digest %s, want %s", res.Digest, tt.wantTop)
			}
			if got := len(dst.manifests); got != tt.wantInstances {
				t.Errorf("%d instance manifests written, want %d", got, tt.wantInstances)
			}
			if tt.wantEntries > 0 {
				out, err := manifest.ParseIndex(dst.top)
				if err != nil {
					t.Fatal(err)
				}
				if len(out.Manifests) != tt.wantEntries {
					t.Errorf("index has %d entries, want %d", len(out.Manifests), tt.wantEntries)
				}
				for _, d := range out.Manifests {
					if _, ok := dst.manifests[d.Digest]; !ok && tt.wantInstances > 0 {
						t.Errorf("index names %s, which was not written", d.Digest)
					}
				}
			}
		})
	}
}

func TestCopyFormatConversion(t *testing.T) {
	t.Parallel()
	ix := testimage.NewIndex(false, amd64, arm64)
	dst := newMemDest()
	res, err := copyTo(t, ix.Source(), dst, Options{MultiArch: All, Format: "v2s2"})
	if err != nil {
		t.Fatal(err)
	}
	if res.MediaType != manifest.MediaTypeDockerList {
		t.Fatalf("top media type %s, want %s", res.MediaType, manifest.MediaTypeDockerList)
	}
	out, _ := manifest.ParseIndex(dst.top)
	for _, d := range out.Manifests {
		b, ok := dst.manifests[d.Digest]
		if !ok {
			t.Fatalf("index names %s, not written", d.Digest)
		}
		m, err := manifest.ParseImage(b)
		if err != nil {
			t.Fatal(err)
		}
		if m.MediaType != manifest.MediaTypeDockerManifest || m.Config.MediaType != manifest.MediaTypeDockerConfig ||
			m.Layers[0].MediaType != manifest.MediaTypeDockerLayer {
			t.Errorf("instance not converted: %s / %s / %s", m.MediaType, m.Config.MediaType, m.Layers[0].MediaType)
		}
		if d.MediaType != manifest.MediaTypeDockerManifest || d.Platform == nil {
			t.Errorf("index entry %+v", d)
		}
	}
	// Converting back to OCI restores the original bytes exactly.
	back := newMemDest()
	src := &testimage.Source{Top: dst.top, TopType: res.MediaType, Manifests: dst.manifests, Types: map[digest.Digest]string{}, Blobs: dst.blobs}
	for d := range dst.manifests {
		src.Types[d] = manifest.MediaTypeDockerManifest
	}
	res2, err := copyTo(t, src, back, Options{MultiArch: All, Format: "oci"})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Digest != ix.Digest {
		t.Errorf("round trip gave %s, want the original index %s", res2.Manifest, ix.Manifest)
	}
	for _, img := range ix.Images {
		if _, ok := back.manifests[img.Digest]; !ok {
			t.Errorf("round trip lost instance %s", img.Digest)
		}
	}
}

func TestCopyRefusals(t *testing.T) {
	t.Parallel()
	img := testimage.New(testimage.Options{})
	ix := testimage.NewIndex(false, amd64, arm64)
	tests := []struct {
		name string
		src  *testimage.Source
		caps func(*memDest)
		o    Options
		want error
	}{
		{"format with preserve-digests", img.Source(), nil, Options{Format: "v2s2", PreserveDigests: true}, errdefs.ErrInvalidArgument},
		{"bad format", img.Source(), nil, Options{Format: "v1"}, errdefs.ErrInvalidArgument},
		{"all into a single-image destination", ix.Source(), func(d *memDest) { d.caps.NoIndex = true }, Options{MultiArch: All}, errdefs.ErrNotSupported},
		{"missing platform", ix.Source(), nil, Options{Platform: manifest.Platform{Architecture: "riscv64"}}, errdefs.ErrNotFound},
		{"format converts, digests preserved", img.Source(),
			func(d *memDest) { d.caps.ManifestTypes = []string{manifest.MediaTypeDockerManifest} },
			Options{Format: "v2s2", PreserveDigests: true}, errdefs.ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dst := newMemDest()
			if tt.caps != nil {
				tt.caps(dst)
			}
			_, err := copyTo(t, tt.src, dst, tt.o)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if dst.committed {
				t.Error("a refused copy committed")
			}
		})
	}
}

// TestCopyKeepsManifestTheDestinationWouldConvert: with digests to
// preserve, a destination's preference for another format is no reason to
// refuse or convert (skopeo writes the manifest as it is, and an oci:
// layout then holds a Docker manifest); neither is a Format the source
// already has.
func TestCopyKeepsManifestTheDestinationWouldConvert(t *testing.T) {
	t.Parallel()
	img := testimage.New(testimage.Options{})
	for _, o := range []Options{{PreserveDigests: true}, {PreserveDigests: true, Format: "oci"}} {
		dst := newMemDest()
		dst.caps.ManifestTypes = []string{manifest.MediaTypeDockerManifest}
		dst.caps.WantsCompressed = true
		res, err := copyTo(t, img.Source(), dst, o)
		if err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		if res.Digest != img.Digest {
			t.Errorf("%+v: wrote %s, want the source manifest %s", o, res.Manifest, img.Manifest)
		}
	}
}

func TestCopyDestinationTypeDrivesConversion(t *testing.T) {
	t.Parallel()
	img := testimage.New(testimage.Options{})
	dst := newMemDest()
	dst.caps.ManifestTypes = []string{manifest.MediaTypeDockerManifest}
	res, err := copyTo(t, img.Source(), dst, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.MediaType != manifest.MediaTypeDockerManifest {
		t.Errorf("got %s, want the destination's docker type", res.MediaType)
	}
}

func TestCopyCorruptBlob(t *testing.T) {
	t.Parallel()
	img := testimage.New(testimage.Options{})
	src := img.Source()
	// A source that serves a corrupt layer: a fault a real registry cannot be made to produce.
	src.Corrupt = img.Layers[1].Digest
	dst := newMemDest()
	_, err := copyTo(t, src, dst, Options{RetryTimes: 2, RetryDelay: time.Millisecond})
	if !errors.Is(err, errdefs.ErrDigestMismatch) {
		t.Fatalf("got %v, want a digest mismatch", err)
	}
	if dst.committed || len(dst.blobs) != 0 || dst.top != nil {
		t.Error("a failed copy left something in the destination")
	}
}

func TestCopySerialAndRetry(t *testing.T) {
	t.Parallel()
	img := testimage.New(testimage.Options{LayerSizes: []int{10, 20, 30, 40, 50}})
	dst := newMemDest()
	dst.caps.SerialBlobs = true
	dst.failBlob = img.Layers[2].Digest
	if _, err := copyTo(t, img.Source(), dst, Options{}); err == nil {
		t.Fatal("injected failure did not fail the copy")
	}
	// With a retry the failure clears on the second attempt.
	attempts := 0
	dst2 := newMemDest()
	dst2.caps.SerialBlobs = true
	dst2.failBlob = img.Layers[2].Digest
	ref := &countingRef{memRef: memRef{dst: dst2}, onOpen: func() {
		attempts++
		if attempts == 2 {
			dst2.failBlob = ""
		}
	}}
	if _, err := Copy(context.Background(), &memRef{src: img.Source()}, ref, Options{RetryTimes: 3, RetryDelay: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if attempts != 2 || !dst2.committed {
		t.Errorf("attempts %d, committed %v; want 2, true", attempts, dst2.committed)
	}
	if dst2.maxFlight != 1 {
		t.Errorf("serial destination saw %d concurrent PutBlob calls", dst2.maxFlight)
	}
}

func TestCopyFallsBackWhenTheManifestTypeIsRefused(t *testing.T) {
	t.Parallel()
	img := testimage.New(testimage.Options{})
	dst := newMemDest()
	dst.refuse = manifest.MediaTypeOCIManifest
	res, err := copyTo(t, img.Source(), dst, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.MediaType != manifest.MediaTypeDockerManifest || dst.topType != manifest.MediaTypeDockerManifest {
		t.Errorf("wrote %s, want the Docker format the destination takes", res.MediaType)
	}
	// With digests to keep, the refusal stands.
	dst2 := newMemDest()
	dst2.refuse = manifest.MediaTypeOCIManifest
	if _, err := copyTo(t, img.Source(), dst2, Options{PreserveDigests: true}); !errors.Is(err, errdefs.ErrNotSupported) {
		t.Errorf("got %v, want the refusal", err)
	}
}
