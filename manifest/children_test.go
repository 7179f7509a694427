package manifest

import (
	"slices"
	"testing"

	"github.com/opencontainers/go-digest"
)

func TestChildren(t *testing.T) {
	t.Parallel()
	a, b, c := digest.FromString("a"), digest.FromString("b"), digest.FromString("c")
	tests := []struct {
		name string
		in   string
		want []digest.Digest
	}{
		{"image", `{"schemaVersion":2,"config":{"digest":"` + a.String() + `"},"layers":[{"digest":"` + b.String() + `"}],"subject":{"digest":"` + c.String() + `"}}`, []digest.Digest{a, b, c}},
		{"index", `{"schemaVersion":2,"manifests":[{"digest":"` + a.String() + `"},{"digest":"` + b.String() + `"}]}`, []digest.Digest{a, b}},
		{"schema1", `{"schemaVersion":1,"fsLayers":[{"blobSum":"` + c.String() + `"}]}`, []digest.Digest{c}},
	}
	for _, tt := range tests {
		got, err := Children([]byte(tt.in))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var ds []digest.Digest
		for _, d := range got {
			ds = append(ds, d.Digest)
		}
		slices.Sort(ds)
		want := slices.Clone(tt.want)
		slices.Sort(want)
		if !slices.Equal(ds, want) {
			t.Errorf("%s: got %v, want %v", tt.name, ds, want)
		}
	}
	if _, err := Children([]byte("not json")); err == nil {
		t.Error("Children of garbage succeeded")
	}
}
