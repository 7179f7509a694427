//go:build linux

package main

import (
	"archive/tar"
	"bufio"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// epoch is the fixed timestamp of every generated file and of the config,
// so the same size always gives the same digests.
var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// generateImage writes a deterministic image of about size compressed
// bytes into dir: its layers in parallel (one per core), then the config,
// the manifest, and image.json last.
func generateImage(dir string, size int64) (*benchImage, error) {
	blobDir := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobDir, 0o755); err != nil {
		return nil, err
	}
	layers := make([]layerResult, len(layerShares))
	errs := make([]error, len(layerShares))
	sem := make(chan struct{}, max(1, runtime.NumCPU()))
	var wg sync.WaitGroup
	for i, share := range layerShares {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			target := max(int64(float64(size)*share), 1)
			layers[i], errs[i] = writeLayer(blobDir, uint64(size)*8+uint64(i), i, target)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}

	im := &benchImage{Dir: dir, MediaType: ocispec.MediaTypeImageManifest}
	cfg := ocispec.Image{
		Created:  &epoch,
		Platform: ocispec.Platform{Architecture: "amd64", OS: "linux"},
		Config:   ocispec.ImageConfig{Cmd: []string{"/bin/sh"}, WorkingDir: "/"},
		RootFS:   ocispec.RootFS{Type: "layers"},
	}
	for i, l := range layers {
		im.Layers = append(im.Layers, ocispec.Descriptor{
			MediaType: ocispec.MediaTypeImageLayerGzip, Digest: l.digest, Size: l.size,
		})
		im.Uncompressed += l.tarSize
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, l.diffID)
		cfg.History = append(cfg.History, ocispec.History{
			Created: &epoch, CreatedBy: fmt.Sprintf("ferry bench layer %d", i+1),
		})
	}
	cfgBytes, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	im.Config = ocispec.Descriptor{
		MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromBytes(cfgBytes), Size: int64(len(cfgBytes)),
	}
	if err := writeFileAtomic(im.BlobPath(im.Config.Digest), cfgBytes); err != nil {
		return nil, err
	}
	m := ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: im.MediaType,
		Config: im.Config, Layers: im.Layers,
	}
	if im.manifest, err = json.Marshal(m); err != nil {
		return nil, err
	}
	im.ManifestDigest = digest.FromBytes(im.manifest)
	if err := writeFileAtomic(filepath.Join(dir, "manifest.json"), im.manifest); err != nil {
		return nil, err
	}
	rec, err := json.MarshalIndent(im, "", "  ")
	if err != nil {
		return nil, err
	}
	return im, writeFileAtomic(filepath.Join(dir, "image.json"), rec)
}

type layerResult struct {
	digest, diffID digest.Digest
	size, tarSize  int64
}

// writeLayer streams a gzipped tar of generated files into blobDir until
// about target compressed bytes are written, then names the file by its
// digest. Nothing is held in memory beyond one file's content.
func writeLayer(blobDir string, seed uint64, index int, target int64) (res layerResult, err error) {
	f, err := os.CreateTemp(blobDir, ".layer-*")
	if err != nil {
		return res, err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	gzHash := sha256.New()
	gzOut := &countWriter{w: io.MultiWriter(bw, gzHash)}
	zw, err := gzip.NewWriterLevel(gzOut, gzip.DefaultCompression)
	if err != nil {
		return res, err
	}
	zw.ModTime = epoch
	tarHash := sha256.New()
	tarOut := &countWriter{w: io.MultiWriter(zw, tarHash)}
	tw := tar.NewWriter(tarOut)

	c := newContent(seed)
	var buf []byte
	for file := 0; gzOut.n < target; file++ {
		if file%64 == 0 {
			if err := tw.WriteHeader(header(fmt.Sprintf("usr/share/bench/l%d/d%04d/", index, file/64), 0, tar.TypeDir)); err != nil {
				return res, err
			}
		}
		random := c.isRandom()
		ext := ".txt"
		if random {
			ext = ".bin"
		}
		// Near the end, files shrink so the layer stops close to its target.
		n := min(c.fileSize(), max(int(target-gzOut.n)*2, 1024))
		buf = c.fill(buf, n, random)
		name := fmt.Sprintf("usr/share/bench/l%d/d%04d/f%06d%s", index, file/64, file, ext)
		if err := tw.WriteHeader(header(name, len(buf), tar.TypeReg)); err != nil {
			return res, err
		}
		if _, err := tw.Write(buf); err != nil {
			return res, err
		}
	}
	if err := tw.Close(); err != nil {
		return res, err
	}
	if err := zw.Close(); err != nil {
		return res, err
	}
	if err := bw.Flush(); err != nil {
		return res, err
	}
	if err := f.Sync(); err != nil {
		return res, err
	}
	if err := f.Close(); err != nil {
		return res, err
	}
	res = layerResult{
		digest:  digest.NewDigest(digest.SHA256, gzHash),
		diffID:  digest.NewDigest(digest.SHA256, tarHash),
		size:    gzOut.n,
		tarSize: tarOut.n,
	}
	return res, os.Rename(f.Name(), filepath.Join(blobDir, res.digest.Encoded()))
}

func header(name string, size int, typ byte) *tar.Header {
	mode := int64(0o644)
	if typ == tar.TypeDir {
		mode = 0o755
	}
	return &tar.Header{
		Typeflag: typ, Name: name, Size: int64(size), Mode: mode,
		ModTime: epoch, Uname: "root", Gname: "root", Format: tar.FormatUSTAR,
	}
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// writeFileAtomic writes b to a temporary name beside path, then renames
// it, so a crash never leaves a half-written file under the real name.
func writeFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), path)
}
