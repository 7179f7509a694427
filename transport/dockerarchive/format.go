package dockerarchive

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/archive"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// The archive format of `docker save` / `docker load` (moby
// image/tarexport): manifest.json lists the images, each with the path of
// its config, its names and the paths of its layers, bottom first.
// Docker before 25 stores layers as ID/layer.tar (legacy v1 layout, with
// symlinks between duplicates); Docker 25 and later as blobs/sha256/HEX
// beside an OCI index.json. Paths are arbitrary, so ferry reads whatever
// manifest.json names.
const (
	manifestFile     = "manifest.json"
	repositoriesFile = "repositories"
)

// manifestItem is one image of manifest.json.
type manifestItem struct {
	Config   string
	RepoTags []string
	Layers   []string
	// Parent and LayerSources (foreign layers) are read and ignored.
	Parent       string                               `json:",omitempty"`
	LayerSources map[digest.Digest]ocispec.Descriptor `json:",omitempty"`
}

// parseManifestFile decodes manifest.json.
func parseManifestFile(b []byte) ([]manifestItem, error) {
	var items []manifestItem
	if err := json.Unmarshal(b, &items); err != nil {
		return nil, fmt.Errorf("%w: manifest.json: %v", errdefs.ErrInvalidArchive, err)
	}
	for i, it := range items {
		if it.Config == "" {
			return nil, fmt.Errorf("%w: manifest.json: image %d has no Config", errdefs.ErrInvalidArchive, i)
		}
	}
	return items, nil
}

// pick chooses the image a reference names: by name (one of its
// RepoTags), by position (@N), or the only one.
func pick(items []manifestItem, named reference.Named, index int) (*manifestItem, error) {
	switch {
	case named != nil:
		want := named.String()
		for i := range items {
			for _, tag := range items[i].RepoTags {
				if n, err := reference.ParseNamed(tag, true); err == nil && n.String() == want {
					return &items[i], nil
				}
			}
		}
		return nil, fmt.Errorf("image %s: %w in the archive (it holds %s)", reference.Familiar(named), errdefs.ErrNotFound, describe(items))
	case index >= 0:
		if index >= len(items) {
			return nil, fmt.Errorf("image @%d: %w (the archive holds %d images)", index, errdefs.ErrNotFound, len(items))
		}
		return &items[index], nil
	}
	switch len(items) {
	case 0:
		return nil, fmt.Errorf("%w: manifest.json lists no images", errdefs.ErrInvalidArchive)
	case 1:
		return &items[0], nil
	}
	return nil, fmt.Errorf("%w: the archive holds %d images (%s); pick one with :NAME:TAG or :@N", errdefs.ErrInvalidReference, len(items), describe(items))
}

func describe(items []manifestItem) string {
	var out []string
	for i, it := range items {
		if len(it.RepoTags) == 0 {
			out = append(out, fmt.Sprintf("@%d", i))
			continue
		}
		tags := make([]string, len(it.RepoTags))
		for j, tag := range it.RepoTags {
			tags[j] = printable(tag)
		}
		out = append(out, strings.Join(tags, ", "))
	}
	return strings.Join(out, "; ")
}

// printable is s as is, or quoted when it holds a character that is not
// printable: a newline in a hostile manifest.json's names or in a member's
// name must not forge a line of the error message.
func printable(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

var blobName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^blobs/([a-z0-9]+)/([a-f0-9]{32,})$`) })

// pathDigest is the digest a member's path states when it is
// content-addressed as in an OCI layout (blobs/ALG/HEX, Docker 25+), or "".
func pathDigest(p string) digest.Digest {
	m := blobName().FindStringSubmatch(path.Clean(p))
	if m == nil {
		return ""
	}
	d := digest.NewDigestFromEncoded(digest.Algorithm(m[1]), m[2])
	if d.Validate() != nil {
		return ""
	}
	return d
}

// imageConfig is the part of an image config ferry reads.
type imageConfig struct {
	RootFS struct {
		DiffIDs []digest.Digest `json:"diff_ids"`
	} `json:"rootfs"`
}

func parseConfig(b []byte) (*imageConfig, error) {
	var c imageConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%w: image config: %v", errdefs.ErrInvalidArchive, err)
	}
	return &c, nil
}

// layerInfo is what the synthesized manifest says of a layer: the digest
// and size of the bytes the source serves (the uncompressed layer, unless
// a stream stored it recompressed) and their compression.
type layerInfo struct {
	Digest      digest.Digest
	Size        int64
	Compression archive.Compression
}

// buildManifest writes the manifest skopeo synthesizes for an image read
// from an archive, byte for byte, so both tools give it the same digest:
// Docker schema 2, each layer named by its diff ID with its uncompressed
// size and, as skopeo writes it, the gzip media type (the source serves
// every layer uncompressed; see ServesPlain). A layer a stream stored
// zstd-compressed needs OCI's format, which alone can name it; its config
// keeps the Docker media type, so the copier converts it as skopeo would.
func buildManifest(config []byte, layers []layerInfo) ([]byte, string, error) {
	oci := false
	for _, l := range layers {
		switch l.Compression {
		case archive.None, archive.Gzip:
		case archive.Zstd:
			oci = true
		default:
			return nil, "", fmt.Errorf("%w: a layer is %s-compressed; image layers may be plain, gzip or zstd", errdefs.ErrNotSupported, l.Compression)
		}
	}
	m := ocispec.Manifest{MediaType: manifest.MediaTypeDockerManifest}
	m.SchemaVersion = 2
	m.Config = ocispec.Descriptor{MediaType: manifest.MediaTypeDockerConfig, Digest: digest.FromBytes(config), Size: int64(len(config))}
	m.Layers = make([]ocispec.Descriptor, len(layers))
	for i, l := range layers {
		m.Layers[i] = ocispec.Descriptor{MediaType: layerMediaType(l.Compression, oci), Digest: l.Digest, Size: l.Size}
	}
	if !oci {
		b, err := manifest.MarshalDocker(&m)
		return b, m.MediaType, err
	}
	m.MediaType = manifest.MediaTypeOCIManifest
	b, err := json.Marshal(m)
	return b, m.MediaType, err
}

// layerMediaType names a layer in the synthesized manifest: skopeo's gzip
// type in a Docker manifest, the true one in an OCI manifest.
func layerMediaType(c archive.Compression, oci bool) string {
	switch {
	case !oci:
		return manifest.MediaTypeDockerLayer
	case c == archive.Gzip:
		return manifest.MediaTypeOCILayerGz
	case c == archive.Zstd:
		return manifest.MediaTypeOCILayerZst
	}
	return manifest.MediaTypeOCILayer
}

// plainMediaType is the true media type of a layer served as it is
// stored: what Stream tells put.
func plainMediaType(c archive.Compression) string {
	switch c {
	case archive.Gzip:
		return manifest.MediaTypeDockerLayer
	case archive.Zstd:
		return manifest.MediaTypeOCILayerZst
	}
	return manifest.MediaTypeDockerLayerPlain
}
