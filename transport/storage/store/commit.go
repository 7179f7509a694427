package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	cstorage "go.podman.io/storage"
	"go.podman.io/storage/pkg/archive"
)

// chainID is the ID containers/image gives the layer with diff ID diffID
// on top of parent ("" for a base layer): the diff ID's hex for a base
// layer, else the hex of sha256(parent + "+" + diffID hex). Images
// sharing layers then share them in the store, whoever wrote them.
func chainID(parent string, diffID digest.Digest) string {
	if parent == "" {
		return diffID.Encoded()
	}
	return digest.Canonical.FromString(parent + "+" + diffID.Encoded()).Encoded()
}

// imageConfig is what Commit reads from the config.
type imageConfig struct {
	Created *time.Time `json:"created"`
	RootFS  struct {
		DiffIDs []digest.Digest `json:"diff_ids"`
	} `json:"rootfs"`
}

// made records what a Commit created, to undo it on failure.
type made struct {
	layers []string // bottom first
	image  string
}

// Commit applies the layers, creates the image and names it.
func (d *destination) Commit(ctx context.Context) (err error) {
	d.mu.Lock()
	raw, sigs := d.manifest, d.sigs
	d.mu.Unlock()
	if raw == nil {
		return fmt.Errorf("%s: Commit before PutManifest", d.name)
	}
	m, err := manifest.ParseImage(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	mdigest := digest.FromBytes(raw)
	if dg := d.digestInName(); dg != "" && dg != mdigest {
		return fmt.Errorf("%w: %s: the manifest's digest is %s, not the one the name gives", errdefs.ErrDigestMismatch, d.name, mdigest)
	}
	configPath := d.spooled(m.Config.Digest)
	if configPath == "" {
		return fmt.Errorf("%s: the config %s was not written", d.name, m.Config.Digest)
	}
	config, err := os.ReadFile(configPath)
	if err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	var cfg imageConfig
	if err := json.Unmarshal(config, &cfg); err != nil {
		return fmt.Errorf("%w: %s: config %s: %v", errdefs.ErrInvalidManifest, d.name, m.Config.Digest, err)
	}
	if len(cfg.RootFS.DiffIDs) != len(m.Layers) {
		return fmt.Errorf("%w: %s: the manifest names %d layers, the config %d diff IDs", errdefs.ErrInvalidManifest, d.name, len(m.Layers), len(cfg.RootFS.DiffIDs))
	}
	var undo made
	defer func() {
		if err != nil {
			d.undo(undo)
		}
	}()
	defer waiting(d.log, "writing the image", d.st.GraphRoot())()
	top := ""
	for i, l := range m.Layers {
		if err := ctx.Err(); err != nil {
			return err
		}
		top, err = d.layer(top, l, cfg.RootFS.DiffIDs[i], &undo)
		if err != nil {
			return fmt.Errorf("%s: layer %d (%s): %w", d.name, i+1, l.Digest, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return d.image(m.Config.Digest, top, config, raw, mdigest, sigs, cfg.Created, &undo)
}

// layer puts the layer l with diff ID diffID on top of parent, or finds
// it in the store, and returns its ID.
func (d *destination) layer(parent string, l ocispec.Descriptor, diffID digest.Digest, undo *made) (string, error) {
	if err := diffID.Validate(); err != nil {
		return "", fmt.Errorf("%w: the config's diff ID %q: %v", errdefs.ErrInvalidManifest, diffID, err)
	}
	id := chainID(parent, diffID)
	if _, err := d.st.Layer(id); err == nil {
		return id, nil
	}
	path, original := d.spooled(l.Digest), l.Digest
	if path == "" {
		// HasBlob found it in the store under another parent: export it.
		var err error
		if path, err = d.exportLayer(l.Digest, diffID); err != nil {
			return "", err
		}
		original = diffID
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	size := int64(-1)
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	layer, _, err := d.st.PutLayer(id, parent, nil, "", false, &cstorage.LayerOptions{
		OriginalDigest: original,
		OriginalSize:   &size,
	}, f)
	if errors.Is(err, cstorage.ErrDuplicateID) {
		// Another process put it meanwhile.
		return id, nil
	}
	if err != nil {
		return "", err
	}
	undo.layers = append(undo.layers, layer.ID)
	if layer.UncompressedDigest != diffID {
		return "", fmt.Errorf("%w: its content has diff ID %s, the config says %s", errdefs.ErrDigestMismatch, layer.UncompressedDigest, diffID)
	}
	return id, nil
}

// storedLayer finds a layer made from blob dg, or whose uncompressed tar
// is dg.
func (d *destination) storedLayer(dg digest.Digest) (*cstorage.Layer, error) {
	for _, find := range []func(digest.Digest) ([]cstorage.Layer, error){d.st.LayersByCompressedDigest, d.st.LayersByUncompressedDigest} {
		ls, err := find(dg)
		if err != nil && !errors.Is(err, cstorage.ErrLayerUnknown) {
			return nil, fmt.Errorf("%s: %w", d.name, err)
		}
		for i := range ls {
			if ls[i].UncompressedDigest != "" {
				return &ls[i], nil
			}
		}
	}
	return nil, nil
}

// exportLayer copies the uncompressed tar of a stored layer made from
// blob dg to the spool, so that it can be put under another parent (the
// store's Diff holds a lock PutLayer needs: it cannot stream across).
func (d *destination) exportLayer(dg, diffID digest.Digest) (string, error) {
	l, err := d.storedLayer(dg)
	if err != nil {
		return "", err
	}
	if l == nil || l.UncompressedDigest != diffID {
		return "", fmt.Errorf("the blob was neither written nor found in the store: %w", errNoLayer)
	}
	plain := archive.Uncompressed
	rc, err := d.st.Diff("", l.ID, &cstorage.DiffOptions{Compression: &plain})
	if err != nil {
		return "", err
	}
	defer rc.Close()
	f, err := os.CreateTemp(d.dir, "layer-")
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := io.Copy(f, rc); err != nil {
		return "", err
	}
	return f.Name(), f.Close()
}

// image creates the image record (ID: the config's digest, as
// containers/image chooses it) with its data items, or updates the one
// the store holds for the same config, then gives it its name.
func (d *destination) image(config digest.Digest, top string, configBytes, raw []byte, mdigest digest.Digest,
	sigs [][]byte, created *time.Time, undo *made) error {
	opts := &cstorage.ImageOptions{
		BigData: []cstorage.ImageBigDataOption{
			{Key: config.String(), Data: configBytes, Digest: config},
			{Key: manifestKey(mdigest), Data: raw, Digest: mdigest},
			{Key: cstorage.ImageDigestBigDataKey, Data: raw, Digest: mdigest},
		},
	}
	meta := signatureMetadata{SignaturesSizes: map[digest.Digest][]int{mdigest: {}}}
	var blob []byte
	for _, s := range sigs {
		blob = append(blob, s...)
		meta.SignatureSizes = append(meta.SignatureSizes, len(s))
	}
	meta.SignaturesSizes[mdigest] = append([]int{}, meta.SignatureSizes...)
	if len(sigs) > 0 {
		opts.BigData = append(opts.BigData,
			cstorage.ImageBigDataOption{Key: signatureKey(nil), Data: blob, Digest: digest.FromBytes(blob)},
			cstorage.ImageBigDataOption{Key: signatureKey(&mdigest), Data: blob, Digest: digest.FromBytes(blob)})
	}
	metaJSON, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	opts.Metadata = string(metaJSON)
	if created != nil {
		opts.CreationDate = created.UTC()
	}
	id := d.ref.ID
	if id == "" {
		id = config.Encoded()
	}
	img, err := d.st.CreateImage(id, nil, top, "", opts)
	switch {
	case err == nil:
		undo.image = img.ID
	case errors.Is(err, cstorage.ErrDuplicateID):
		if err := d.update(id, top, opts); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%s: creating the image: %w", d.name, err)
	}
	if d.ref.Named != nil {
		if err := d.st.AddNames(id, []string{d.ref.Named.String()}); err != nil {
			return fmt.Errorf("%s: naming the image: %w", d.name, err)
		}
	}
	return nil
}

// update refreshes the data items of an image the store already holds
// for the same config and layers (the same image pulled again, perhaps
// with another manifest), as containers/image does.
func (d *destination) update(id, top string, opts *cstorage.ImageOptions) error {
	img, err := d.st.Image(id)
	if err != nil {
		return fmt.Errorf("%s: reading image %s: %w", d.name, id, err)
	}
	if img.TopLayer != top {
		return fmt.Errorf("%s: image %s is in the store with other layers", d.name, id)
	}
	for _, b := range opts.BigData {
		if err := d.st.SetImageBigData(id, b.Key, b.Data, manifest.Digest); err != nil {
			return fmt.Errorf("%s: updating image %s: %w", d.name, id, err)
		}
	}
	if err := d.st.SetMetadata(id, opts.Metadata); err != nil {
		return fmt.Errorf("%s: updating image %s: %w", d.name, id, err)
	}
	return nil
}

// undo removes what a failed Commit created: the image record, then its
// new layers top first. A layer another image or layer came to use
// meanwhile stays (the store refuses to delete it).
func (d *destination) undo(u made) {
	if u.image != "" {
		if err := d.st.Delete(u.image); err != nil {
			d.log.Warn("containers-storage: removing an image left by a failed copy", "image", u.image, "error", err)
		}
	}
	for i := len(u.layers) - 1; i >= 0; i-- {
		if err := d.st.DeleteLayer(u.layers[i]); err != nil {
			d.log.Debug("containers-storage: keeping a layer in use", "layer", u.layers[i], "error", err)
		}
	}
}

// digestInName is the digest the destination's name carries, if any.
func (d *destination) digestInName() digest.Digest {
	if d.ref.Named == nil {
		return ""
	}
	return reference.Digest(d.ref.Named)
}
