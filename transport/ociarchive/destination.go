package ociarchive

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/archive"
	"github.com/ferrytool/ferry/internal/ocilayout"
	"github.com/ferrytool/ferry/internal/verify"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// destination writes an OCI image layout as a tar stream: oci-layout
// first, then blobs/ALG/HEX in the order they come (manifests too), then
// index.json naming the image at Commit. Nothing is buffered. A file is
// written under a temporary name and renamed at Commit; an existing
// archive is replaced whole, as skopeo does.
type destination struct {
	archive.Sink
	ref    string
	tmpDir string

	mu      sync.Mutex
	written map[digest.Digest]bool
	top     *ocispec.Descriptor
}

var (
	_ transport.Destination          = (*destination)(nil)
	_ transport.StreamingDestination = (*destination)(nil)
)

func newDestination(ctx context.Context, r *Reference, o *transport.Options) (transport.Destination, error) {
	if r.Index >= 0 {
		return nil, fmt.Errorf("%w: oci-archive: @N picks an image to read; a destination takes a name", errdefs.ErrInvalidReference)
	}
	var stdout io.Writer
	var tmp string
	if o != nil {
		stdout, tmp = o.Stdout, o.TmpDir
	}
	name := "oci-archive:" + r.Path
	out, err := archive.CreateOutput(r.Path, stdout)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	d := &destination{Sink: archive.NewSink(name, out), ref: r.Ref, tmpDir: tmp, written: map[digest.Digest]bool{}}
	// What a killed copy already wrote into the partial archive.
	haveLayout := false
	for _, r := range out.Resumed() {
		if r.Digest == "" {
			haveLayout = haveLayout || r.Name == layoutFile
			continue
		}
		d.written[r.Digest] = true
	}
	if haveLayout {
		return d, nil
	}
	lb := []byte(ocilayout.LayoutFileContent)
	if err := d.TW.WriteBytes(layoutFile, lb); err != nil {
		out.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return d, nil
}

// Capabilities: those of the oci: transport (OCI manifests, compressed
// layers, each stored byte for byte), blobs one at a time.
func (d *destination) Capabilities() transport.Capabilities {
	return transport.Capabilities{
		ManifestTypes:   []string{manifest.MediaTypeOCIManifest, manifest.MediaTypeOCIIndex},
		WantsCompressed: true,
		SerialBlobs:     true,
		KeepsDigests:    true,
	}
}

// HasBlob reports blobs already in this archive.
func (d *destination) HasBlob(ctx context.Context, desc ocispec.Descriptor) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.written[desc.Digest], nil
}

// PutBlob appends blobs/ALG/HEX. If r fails (a digest mismatch found at
// its end), the archive is broken and Commit will fail.
func (d *destination) PutBlob(ctx context.Context, desc ocispec.Descriptor, r io.Reader) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.Usable(); err != nil {
		return err
	}
	if d.written[desc.Digest] {
		_, err := io.Copy(io.Discard, r)
		return err
	}
	p, err := blobMember(desc.Digest)
	if err != nil {
		return fmt.Errorf("%s: %w", d.Name, err)
	}
	if desc.Size < 0 {
		return fmt.Errorf("%w: %s: blob %s has no size", errdefs.ErrInvalidArgument, d.Name, desc.Digest)
	}
	if err := d.WriteBlob(ctx, p, desc.Size, r, desc.Digest); err != nil {
		return err
	}
	d.written[desc.Digest] = true
	return nil
}

// PutBlobStream stores a blob whose size and digest are known only at its
// end (a recompressed layer): a tar member's size precedes its bytes, so
// it is spooled to TmpDir first.
func (d *destination) PutBlobStream(ctx context.Context, mediaType string, r io.Reader) (ocispec.Descriptor, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.Usable(); err != nil {
		return ocispec.Descriptor{}, err
	}
	t, size, dg, err := archive.SpoolDigest(ctx, r, d.tmpDir)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("%s: %w", d.Name, err)
	}
	defer t.Close()
	desc := ocispec.Descriptor{MediaType: mediaType, Digest: dg, Size: size}
	if d.written[dg] {
		return desc, nil
	}
	p, _ := blobMember(dg)
	if err := d.WriteBlob(ctx, p, size, t, dg); err != nil {
		return ocispec.Descriptor{}, err
	}
	d.written[dg] = true
	return desc, nil
}

// PutManifest stores a manifest as a blob. An instance must hash to its
// digest; the top manifest (instance nil) is named in index.json at Commit.
func (d *destination) PutManifest(ctx context.Context, b []byte, mediaType string, instance *digest.Digest) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.Usable(); err != nil {
		return err
	}
	dg := digest.FromBytes(b)
	if instance != nil {
		if err := verify.Bytes(b, *instance, -1); err != nil {
			return fmt.Errorf("%s: manifest %s: %w", d.Name, *instance, err)
		}
		dg = *instance
	}
	mt := manifest.Normalize(mediaType)
	if mt == "" {
		mt = manifest.Detect(b)
	}
	if mt == "" {
		return fmt.Errorf("%s: manifest %s: %w: no media type and not a recognizable manifest", d.Name, dg, errdefs.ErrInvalidManifest)
	}
	if !d.written[dg] {
		p, err := blobMember(dg)
		if err != nil {
			return fmt.Errorf("%s: %w", d.Name, err)
		}
		if err := d.TW.WriteBytes(p, b); err != nil {
			d.Err = fmt.Errorf("%s: writing manifest %s: %w", d.Name, dg, err)
			return d.Err
		}
		d.written[dg] = true
	}
	if instance == nil {
		d.top = &ocispec.Descriptor{MediaType: mt, Digest: dg, Size: int64(len(b))}
	}
	return nil
}

// Commit writes index.json, naming the image with the reference's name
// (org.opencontainers.image.ref.name), ends the tar and, for a file,
// renames it into place.
func (d *destination) Commit(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.Usable(); err != nil {
		return err
	}
	if d.top == nil {
		return fmt.Errorf("%w: %s: commit before the manifest was written", errdefs.ErrInvalidArgument, d.Name)
	}
	if err := d.finish(); err != nil {
		d.Err = fmt.Errorf("%s: %w", d.Name, err)
		return d.Err
	}
	d.Done = true
	return nil
}

func (d *destination) finish() error {
	ix := ocilayout.NewIndex()
	ocilayout.AddEntry(ix, *d.top, d.ref)
	ib, err := json.Marshal(ix)
	if err != nil {
		return err
	}
	if err := d.TW.WriteBytes(indexFile, ib); err != nil {
		return err
	}
	if err := d.TW.Close(); err != nil {
		return err
	}
	return d.Out.Commit()
}

// Close discards an archive that was not committed: a file output's
// temporary file is removed.
func (d *destination) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.Discard()
}
