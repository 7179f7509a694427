package manifest

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// addSampleManifests seeds f with every JSON document of the sample
// layout shipped in the repository (its index, manifest and config).
func addSampleManifests(f *testing.F) {
	f.Helper()
	root := filepath.Join("..", "testdata", "sample")
	paths, _ := filepath.Glob(filepath.Join(root, "blobs", "sha256", "*"))
	paths = append(paths, filepath.Join(root, "index.json"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) < 64<<10 { // layers are not manifests; keep the corpus small
			f.Add(b)
		}
	}
}

// FuzzParseImage feeds untrusted manifest bytes (a registry's answer, a
// file in a layout or archive) to the parsers and the converters: no
// panic, errors carry the vocabulary, and a conversion re-parses.
func FuzzParseImage(f *testing.F) {
	addSampleManifests(f)
	f.Add([]byte(`{"schemaVersion":2,"config":{"digest":"sha256:` + zeros + `","size":-1},"layers":[{"mediaType":"x","digest":"sha256:` + zeros + `"}]}`))
	f.Add([]byte(`{"schemaVersion":2,"config":{}}`))
	f.Add([]byte(`{"schemaVersion":2,"manifests":[{"digest":"sha256:` + zeros + `","platform":{"os":"linux","architecture":"arm64","variant":"v8"}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = Detect(b)
		if _, err := Digest(b); err != nil && !errors.Is(err, errdefs.ErrInvalidManifest) {
			t.Fatalf("Digest error %v does not wrap ErrInvalidManifest", err)
		}
		m, err := ParseImage(b)
		if err != nil {
			if !errors.Is(err, errdefs.ErrInvalidManifest) {
				t.Fatalf("ParseImage error %v does not wrap ErrInvalidManifest", err)
			}
		} else {
			for _, to := range []string{MediaTypeOCIManifest, MediaTypeDockerManifest} {
				out, err := ConvertImage(m, to)
				if err != nil {
					continue
				}
				back, err := ParseImage(out)
				if err != nil {
					t.Fatalf("ConvertImage(%s) wrote %s, which does not parse: %v", to, out, err)
				}
				if back.Config.Digest != m.Config.Digest || len(back.Layers) != len(m.Layers) {
					t.Fatalf("ConvertImage(%s) lost the config or layers: %s", to, out)
				}
				if got := Detect(out); got != to {
					t.Fatalf("Detect(ConvertImage(%s)) = %q", to, got)
				}
			}
		}
		ix, err := ParseIndex(b)
		if err != nil {
			if !errors.Is(err, errdefs.ErrInvalidManifest) {
				t.Fatalf("ParseIndex error %v does not wrap ErrInvalidManifest", err)
			}
		} else {
			_, _ = ChooseInstance(ix, Platform{OS: "linux", Architecture: "arm64", Variant: "v8"})
			_, _ = ChooseInstance(ix, HostPlatform(Platform{}))
			for _, to := range []string{MediaTypeOCIIndex, MediaTypeDockerList} {
				if out, err := ConvertIndex(ix, to, map[string]ocispec.Descriptor{}); err == nil {
					if _, err := ParseIndex(out); err != nil {
						t.Fatalf("ConvertIndex(%s) wrote %s, which does not parse: %v", to, out, err)
					}
				}
			}
		}
		if s1, err := ParseSchema1(b); err == nil {
			for _, l := range s1.FSLayers {
				_ = l.BlobSum.Validate()
			}
		}
	})
}

// FuzzParsePlatform: a --multi-arch or --override value that parses
// renders back to the same platform.
func FuzzParsePlatform(f *testing.F) {
	for _, s := range []string{"linux/amd64", "linux/arm/v7", " windows/amd64 ", "a/b/c/d", "/x", "linux/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePlatform(s)
		if err != nil {
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("ParsePlatform(%q) error %v does not wrap ErrInvalidArgument", s, err)
			}
			return
		}
		back, err := ParsePlatform(p.String())
		if err != nil || back != p {
			t.Fatalf("ParsePlatform(%q) = %+v, but its String %q parses to %+v, %v", s, p, p.String(), back, err)
		}
	})
}

const zeros = "0000000000000000000000000000000000000000000000000000000000000000"
