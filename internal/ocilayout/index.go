package ocilayout

import (
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/manifest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// The functions below work on index.json documents alone, so that the
// oci-archive transport, which holds a layout inside a tar stream, can use
// the same rules as the oci: transport.

// ParseIndex decodes an OCI layout's index.json (image-layout.md
// "index.json file", image-index.md).
func ParseIndex(b []byte) (*ocispec.Index, error) {
	var ix ocispec.Index
	if err := json.Unmarshal(b, &ix); err != nil {
		return nil, fmt.Errorf("%w: %v", errdefs.ErrInvalidArchive, err)
	}
	if ix.SchemaVersion != 2 {
		return nil, fmt.Errorf("%w: schemaVersion %d, want 2", errdefs.ErrInvalidArchive, ix.SchemaVersion)
	}
	for i, d := range ix.Manifests {
		if err := d.Digest.Validate(); err != nil {
			return nil, fmt.Errorf("%w: manifests[%d]: digest %q: %v", errdefs.ErrInvalidArchive, i, d.Digest, err)
		}
	}
	return &ix, nil
}

// RefName is the entry's org.opencontainers.image.ref.name annotation, the
// name an image has within a layout ("" when it has none).
func RefName(d ocispec.Descriptor) string { return d.Annotations[ocispec.AnnotationRefName] }

// Lookup picks the image a reference names among an index's entries, as
// skopeo does: by ref name; by position when n >= 0 (PATH:@N); and with
// neither, the only entry. An entry may itself be an index (a multi-arch
// image); it is returned as is.
func Lookup(ix *ocispec.Index, ref string, n int) (ocispec.Descriptor, error) {
	switch {
	case n >= 0:
		if n >= len(ix.Manifests) {
			return ocispec.Descriptor{}, fmt.Errorf("image @%d: %w (the layout holds %d images)", n, errdefs.ErrNotFound, len(ix.Manifests))
		}
		return ix.Manifests[n], nil
	case ref != "":
		var found []ocispec.Descriptor
		for _, d := range ix.Manifests {
			if RefName(d) == ref {
				found = append(found, d)
			}
		}
		switch len(found) {
		case 0:
			return ocispec.Descriptor{}, fmt.Errorf("image %q: %w (the layout holds %s)", ref, errdefs.ErrNotFound, describeEntries(ix))
		case 1:
			return found[0], nil
		}
		return ocispec.Descriptor{}, fmt.Errorf("%w: %d images are named %q", errdefs.ErrInvalidArchive, len(found), ref)
	}
	switch len(ix.Manifests) {
	case 0:
		return ocispec.Descriptor{}, fmt.Errorf("image: %w: the layout holds no images", errdefs.ErrNotFound)
	case 1:
		return ix.Manifests[0], nil
	}
	return ocispec.Descriptor{}, fmt.Errorf("%w: the layout holds %d images, name one with :REF or :@N (it holds %s)", errdefs.ErrInvalidReference, len(ix.Manifests), describeEntries(ix))
}

// describeEntries lists an index's images for an error message: their ref
// names, or @N for those without one.
func describeEntries(ix *ocispec.Index) string {
	if len(ix.Manifests) == 0 {
		return "no images"
	}
	var names []string
	for i, d := range ix.Manifests {
		if name := RefName(d); name != "" {
			names = append(names, strconv.Quote(name))
		} else {
			names = append(names, "@"+strconv.Itoa(i))
		}
	}
	return strings.Join(names, ", ")
}

// NewIndex is an empty index.json document.
func NewIndex() *ocispec.Index {
	ix := &ocispec.Index{MediaType: manifest.MediaTypeOCIIndex, Manifests: []ocispec.Descriptor{}}
	ix.SchemaVersion = 2
	return ix
}

// AddEntry records d in ix as the image named ref (no name when ref is
// ""). An entry already carrying that name is replaced in place, so a tag
// moves rather than duplicates; entries with no name and the same digest
// are dropped, as skopeo drops them, so writing the same unnamed image
// twice does not grow the index. Every other entry is kept.
func AddEntry(ix *ocispec.Index, d ocispec.Descriptor, ref string) {
	d.Annotations = maps.Clone(d.Annotations)
	if ref != "" {
		if d.Annotations == nil {
			d.Annotations = map[string]string{}
		}
		d.Annotations[ocispec.AnnotationRefName] = ref
	} else {
		delete(d.Annotations, ocispec.AnnotationRefName)
	}
	out := make([]ocispec.Descriptor, 0, len(ix.Manifests)+1)
	placed := false
	for _, e := range ix.Manifests {
		name := RefName(e)
		replace := (ref != "" && name == ref) || (name == "" && e.Digest == d.Digest)
		if !replace {
			out = append(out, e)
			continue
		}
		if !placed {
			out = append(out, d)
			placed = true
		}
	}
	if !placed {
		out = append(out, d)
	}
	ix.Manifests = out
	if ix.MediaType == "" {
		ix.MediaType = manifest.MediaTypeOCIIndex
	}
}
