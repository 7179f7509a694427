package sif

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/manifest"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ferrytool/ferry/transport"
)

// source serves the image made of a SIF: its manifest and config from
// memory, its one layer from the tar built in a temporary directory,
// which Close removes.
type source struct {
	name     string
	workDir  string
	layer    ocispec.Descriptor
	config   []byte
	manifest []byte
}

var _ transport.Source = (*source)(nil)

// newSource converts the SIF at once: the manifest needs the layer's
// digest, known only once the tar is written.
func newSource(ctx context.Context, r *Reference, o *transport.Options) (transport.Source, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	name := "sif:" + r.Path
	f, err := os.Open(r.Path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("%s: %w", name, errdefs.ErrNotFound)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w: not a regular file", name, errdefs.ErrInvalidArgument)
	}
	img, err := parse(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	cmd, script, err := readRunscript(f, img)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	tmp := ""
	if o != nil {
		tmp = o.TmpDir
	}
	work, err := os.MkdirTemp(tmp, "ferry-sif-")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	s := &source{name: name, workDir: work}
	if err := s.build(ctx, o, r.Path, img, cmd, script); err != nil {
		os.RemoveAll(work)
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return s, nil
}

// readRunscript reads the definition file, if the SIF has one, into the
// image's command and the script to inject.
func readRunscript(ra io.ReaderAt, img *image) (string, []byte, error) {
	if img.deffile == nil {
		cmd, script := runscript(nil, nil)
		return cmd, script, nil
	}
	if img.deffile.size > maxDeffile {
		return "", nil, fmt.Errorf("%w: the SIF's definition file is %d bytes, more than %d", errdefs.ErrInvalidArchive, img.deffile.size, maxDeffile)
	}
	env, run, err := parseDeffile(io.NewSectionReader(ra, img.deffile.offset, img.deffile.size))
	if err != nil {
		return "", nil, err
	}
	cmd, script := runscript(env, run)
	return cmd, script, nil
}

// build writes the layer and describes the image as containers/image's
// sif transport does: one uncompressed OCI layer, the SIF's modification
// time as created, its primary architecture, Cmd the run script (or
// bash), and a two-entry history naming the layer and the SIF's UUID.
func (s *source) build(ctx context.Context, o *transport.Options, path string, img *image, cmd string, script []byte) error {
	tarPath := filepath.Join(s.workDir, "rootfs.tar")
	created := time.Unix(img.modified, 0).UTC()
	o.Log().Debug("sif: extracting the root file system", "sif", path, "bytes", img.rootFS.size)
	if err := buildLayer(ctx, path, img.rootFS, script, created, filepath.Join(s.workDir, "rootfs"), tarPath); err != nil {
		return err
	}
	d, size, err := digestFile(tarPath)
	if err != nil {
		return err
	}
	s.layer = ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: d, Size: size}
	cfg := ocispec.Image{
		Created:  &created,
		Platform: ocispec.Platform{Architecture: img.arch, OS: "linux"},
		Config:   ocispec.ImageConfig{Cmd: []string{cmd}},
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{d}},
		History: []ocispec.History{
			{Created: &created, CreatedBy: "/bin/sh -c #(nop) ADD file:" + d.Encoded() + " in /", Comment: "imported from SIF, uuid: " + uuidString(img.id)},
			{Created: &created, CreatedBy: `/bin/sh -c #(nop) CMD ["bash"]`, EmptyLayer: true},
		},
	}
	if s.config, err = json.Marshal(cfg); err != nil {
		return err
	}
	m := ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromBytes(s.config), Size: int64(len(s.config))},
		Layers:    []ocispec.Descriptor{s.layer},
	}
	s.manifest, err = json.Marshal(m)
	return err
}

// digestFile is the SHA-256 digest and size of the file at p.
func digestFile(p string) (digest.Digest, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := digest.SHA256.Digester()
	n, err := io.Copy(h.Hash(), f)
	return h.Digest(), n, err
}

// uuidString formats a UUID as RFC 9562 text (8-4-4-4-12 lowercase hex).
func uuidString(id [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", id[0:4], id[4:6], id[6:8], id[8:10], id[10:16])
}

// Manifest returns the synthesized OCI manifest, the only one.
func (s *source) Manifest(_ context.Context, instance *digest.Digest) ([]byte, string, error) {
	if instance != nil && *instance != digest.FromBytes(s.manifest) {
		return nil, "", fmt.Errorf("%s: manifest %s: %w", s.name, *instance, errdefs.ErrNotFound)
	}
	return s.manifest, manifest.MediaTypeOCIManifest, nil
}

// Blob serves the config from memory and the layer from its tar.
func (s *source) Blob(_ context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
	switch d.Digest {
	case digest.FromBytes(s.config):
		return io.NopCloser(bytes.NewReader(s.config)), nil
	case s.layer.Digest:
		return os.Open(filepath.Join(s.workDir, "rootfs.tar"))
	}
	return nil, fmt.Errorf("%s: blob %s: %w", s.name, d.Digest, errdefs.ErrNotFound)
}

// Close removes the layer tar.
func (s *source) Close() error { return os.RemoveAll(s.workDir) }
