package manifest

import (
	"slices"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestChildren(t *testing.T) {
	t.Parallel()
	a, b, c := digest.FromString("a"), digest.FromString("b"), digest.FromString("c")
	tests := []struct {
		name          string
		in            string
		wantBlobs     []digest.Digest
		wantManifests []digest.Digest
	}{
		{"image", `{"schemaVersion":2,"config":{"digest":"` + a.String() + `"},"layers":[{"digest":"` + b.String() + `"}],"subject":{"digest":"` + c.String() + `"}}`, []digest.Digest{a, b}, nil},
		{"index", `{"schemaVersion":2,"manifests":[{"digest":"` + a.String() + `"},{"digest":"` + b.String() + `"}]}`, nil, []digest.Digest{a, b}},
		{"schema1", `{"schemaVersion":1,"fsLayers":[{"blobSum":"` + c.String() + `"}]}`, []digest.Digest{c}, nil},
	}
	for _, tt := range tests {
		blobs, manifests, err := Children([]byte(tt.in))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := sorted(blobs); !slices.Equal(got, sorted2(tt.wantBlobs)) {
			t.Errorf("%s: blobs %v, want %v", tt.name, got, tt.wantBlobs)
		}
		if got := sorted(manifests); !slices.Equal(got, sorted2(tt.wantManifests)) {
			t.Errorf("%s: manifests %v, want %v", tt.name, got, tt.wantManifests)
		}
	}
	if _, _, err := Children([]byte("not json")); err == nil {
		t.Error("Children of garbage succeeded")
	}
}

func sorted(ds []ocispec.Descriptor) []digest.Digest {
	var out []digest.Digest
	for _, d := range ds {
		out = append(out, d.Digest)
	}
	slices.Sort(out)
	return out
}

func sorted2(ds []digest.Digest) []digest.Digest {
	out := slices.Clone(ds)
	slices.Sort(out)
	return out
}
