// Package testimage builds small, deterministic images in memory for tests
// (and for the sample image shipped in testdata/): real gzip-compressed tar
// layers, a real config with diff IDs, schema-2 manifests and indexes. It
// can serve them as a transport.Source and write them to any
// transport.Destination.
package testimage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"math/rand"
	"time"

	"github.com/ferrytool/ferry/manifest"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Image is one image: its manifest and every blob it refers to.
type Image struct {
	Manifest  []byte
	MediaType string
	Digest    digest.Digest
	Config    ocispec.Descriptor
	Layers    []ocispec.Descriptor
	Platform  manifest.Platform
	// Blobs holds config and layer bytes by digest.
	Blobs map[digest.Digest][]byte
}

// Options shapes an image. The zero value gives a linux/amd64 OCI image
// with two small layers.
type Options struct {
	Platform manifest.Platform
	// LayerSizes are the uncompressed payload sizes; default {1024, 4096}.
	LayerSizes []int
	// Docker writes Docker schema-2 media types instead of OCI ones.
	Docker bool
	// Seed makes content differ between images; same seed, same bytes.
	Seed int64
	// Labels go into the config.
	Labels map[string]string
}

var epoch = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// New builds an image.
func New(o Options) *Image {
	if o.Platform.OS == "" {
		o.Platform = manifest.Platform{OS: "linux", Architecture: "amd64"}
	}
	if o.LayerSizes == nil {
		o.LayerSizes = []int{1024, 4096}
	}
	rng := rand.New(rand.NewSource(o.Seed))
	img := &Image{Platform: o.Platform, Blobs: map[digest.Digest][]byte{}}
	layerType, configType, manifestType := manifest.MediaTypeOCILayerGz, manifest.MediaTypeOCIConfig, manifest.MediaTypeOCIManifest
	if o.Docker {
		layerType, configType, manifestType = manifest.MediaTypeDockerLayer, manifest.MediaTypeDockerConfig, manifest.MediaTypeDockerManifest
	}
	var diffIDs []digest.Digest
	var history []ocispec.History
	for i, size := range o.LayerSizes {
		plain := LayerTar(rng, i, size)
		diffIDs = append(diffIDs, digest.FromBytes(plain))
		gz := Gzip(plain)
		d := ocispec.Descriptor{MediaType: layerType, Digest: digest.FromBytes(gz), Size: int64(len(gz))}
		img.Blobs[d.Digest] = gz
		img.Layers = append(img.Layers, d)
		history = append(history, ocispec.History{Created: &epoch, CreatedBy: fmt.Sprintf("testimage layer %d", i)})
	}
	cfg := ocispec.Image{
		Created:  &epoch,
		Author:   "ferry tests",
		Platform: ocispec.Platform{OS: o.Platform.OS, Architecture: o.Platform.Architecture, Variant: o.Platform.Variant},
		Config: ocispec.ImageConfig{
			Env:    []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			Cmd:    []string{"/bin/sh"},
			Labels: o.Labels,
		},
		RootFS:  ocispec.RootFS{Type: "layers", DiffIDs: diffIDs},
		History: history,
	}
	cb := mustJSON(cfg)
	img.Config = ocispec.Descriptor{MediaType: configType, Digest: digest.FromBytes(cb), Size: int64(len(cb))}
	img.Blobs[img.Config.Digest] = cb
	m := ocispec.Manifest{MediaType: manifestType, Config: img.Config, Layers: img.Layers}
	m.SchemaVersion = 2
	img.Manifest = mustJSON(m)
	img.MediaType = manifestType
	img.Digest = digest.FromBytes(img.Manifest)
	return img
}

// Descriptor describes the image's manifest, with its platform.
func (img *Image) Descriptor() ocispec.Descriptor {
	p := img.Platform
	return ocispec.Descriptor{
		MediaType: img.MediaType, Digest: img.Digest, Size: int64(len(img.Manifest)),
		Platform: &ocispec.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant},
	}
}

// Index is a multi-platform image: an index and its instances.
type Index struct {
	Manifest  []byte
	MediaType string
	Digest    digest.Digest
	Images    []*Image
}

// NewIndex builds an index with one image per platform (OCI media types,
// or Docker's with docker set). Each image gets different content.
func NewIndex(docker bool, platforms ...manifest.Platform) *Index {
	ix := &Index{MediaType: manifest.MediaTypeOCIIndex}
	if docker {
		ix.MediaType = manifest.MediaTypeDockerList
	}
	doc := ocispec.Index{MediaType: ix.MediaType}
	doc.SchemaVersion = 2
	for i, p := range platforms {
		img := New(Options{Platform: p, Docker: docker, Seed: int64(100 + i), LayerSizes: []int{512 * (i + 1), 2048}})
		ix.Images = append(ix.Images, img)
		doc.Manifests = append(doc.Manifests, img.Descriptor())
	}
	ix.Manifest = mustJSON(doc)
	ix.Digest = digest.FromBytes(ix.Manifest)
	return ix
}

// LayerTar makes an uncompressed layer: a few files whose contents are
// compressible, seeded text-like bytes totalling about size bytes.
func LayerTar(rng *rand.Rand, n, size int) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	files := 1 + size/4096
	for f := 0; f < files; f++ {
		chunk := size / files
		body := make([]byte, chunk)
		const alphabet = "abcdefghij klmnop\n"
		for i := range body {
			body[i] = alphabet[rng.Intn(len(alphabet))]
		}
		hdr := &tar.Header{Name: fmt.Sprintf("layer%d/file%d.txt", n, f), Mode: 0o644, Size: int64(len(body)), ModTime: epoch, Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			panic(err)
		}
		if _, err := tw.Write(body); err != nil {
			panic(err)
		}
	}
	if err := tw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// Gzip compresses b deterministically.
func Gzip(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		panic(err)
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
