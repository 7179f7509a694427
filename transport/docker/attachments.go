package docker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/verify"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/registry"
	"github.com/ferrytool/ferry/signature/sigstore"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Sigstore signatures live in the registry itself, as cosign and
// containers/image keep them: the tag sha256-HEX.sig of the signed
// manifest's repository holds an OCI image manifest with one layer per
// signature (the payload, with the signature and any certificate or
// Rekor bundle in the layer's annotations) and a config listing the
// payload digests as diff IDs. registries.d's use-sigstore-attachments
// turns reading and writing them on, as in containers/image: off, a copy
// neither looks for that tag nor writes it.

// maxAttachmentPayload bounds one attachment layer read into memory (a
// signature payload is a few hundred bytes; containers/image allows 4 MiB).
const maxAttachmentPayload = 4 << 20

// AttachmentTag is the tag holding the sigstore attachments of the
// manifest with digest d.
func AttachmentTag(d digest.Digest) (string, error) {
	if err := d.Validate(); err != nil {
		return "", fmt.Errorf("%w: %v", errdefs.ErrInvalidArgument, err)
	}
	return strings.Replace(d.String(), ":", "-", 1) + ".sig", nil
}

// attachments returns the attachment manifest of d, nil when the tag
// does not exist.
func attachments(ctx context.Context, get func(ctx context.Context, ref string) ([]byte, string, error), d digest.Digest) (*ocispec.Manifest, error) {
	tag, err := AttachmentTag(d)
	if err != nil {
		return nil, err
	}
	b, mt, err := get(ctx, tag)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading sigstore attachments %s: %w", tag, err)
	}
	if manifest.Normalize(mt) != ocispec.MediaTypeImageManifest {
		return nil, fmt.Errorf("%w: unexpected media type %q for sigstore attachment manifest %s", errdefs.ErrInvalidManifest, mt, tag)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: parsing sigstore attachment manifest %s: %v", errdefs.ErrInvalidManifest, tag, err)
	}
	return &m, nil
}

// sigstoreSignatures reads the sigstore attachments of d, each layer as a
// signature blob (attestations and other attachments included: policy
// tells them apart by media type, as containers/image does).
func (s *Source) sigstoreSignatures(ctx context.Context, d digest.Digest) ([][]byte, error) {
	m, err := attachments(ctx, s.getManifest, d)
	if err != nil || m == nil {
		return nil, err
	}
	s.sigs.log.Debug("found sigstore attachments", "image", s.name, "digest", d, "layers", len(m.Layers))
	c, repo := s.attachmentsAt()
	var out [][]byte
	for _, l := range m.Layers {
		payload, err := smallBlob(ctx, c, repo, l)
		if err != nil {
			return nil, fmt.Errorf("reading sigstore attachment %s: %w", l.Digest, err)
		}
		blob, err := sigstore.Signature{MIMEType: l.MediaType, Payload: payload, Annotations: l.Annotations}.Blob()
		if err != nil {
			return nil, err
		}
		out = append(out, blob)
	}
	return out, nil
}

func (s *Source) getManifest(ctx context.Context, ref string) ([]byte, string, error) {
	c, repo := s.attachmentsAt()
	b, mt, _, err := c.GetManifest(ctx, repo, ref)
	return b, mt, err
}

// attachmentsAt is the registry and repository the attachments are read
// from: where the image itself is read.
func (s *Source) attachmentsAt() (*registry.Client, string) {
	p := &s.srcs[s.current()]
	return p.c, p.repo
}

// smallBlob reads a blob of repo of at most maxAttachmentPayload bytes,
// verified against d.
func smallBlob(ctx context.Context, c *registry.Client, repo string, d ocispec.Descriptor) ([]byte, error) {
	if d.Size < 0 || d.Size > maxAttachmentPayload {
		return nil, fmt.Errorf("%w: attachment of %d bytes (at most %d read)", errdefs.ErrInvalidArgument, d.Size, maxAttachmentPayload)
	}
	rc, err := c.GetBlob(ctx, repo, d)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, d.Size+1))
	if err != nil {
		return nil, err
	}
	if err := verify.Bytes(b, d.Digest, d.Size); err != nil {
		return nil, err
	}
	return b, nil
}

// putSigstoreSignatures adds sigs (sigstore blobs) to the attachments of
// dg: read the attachment manifest and config, append each signature not
// already there, write blobs, config and manifest back. Never removes one.
func (d *Destination) putSigstoreSignatures(ctx context.Context, sigs [][]byte, dg digest.Digest) error {
	use, err := d.ref.config().RegistriesD.UseSigstoreAttachments(d.ref.named)
	if err != nil {
		return err
	}
	if !use {
		return fmt.Errorf("%w: writing sigstore attachments is disabled by configuration (set use-sigstore-attachments: true in registries.d for %s)", errdefs.ErrNotSupported, d.name)
	}
	m, err := attachments(ctx, d.getManifest, dg)
	if err != nil {
		return err
	}
	var config attachmentConfig
	if m == nil {
		m = &ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest}
	} else if err := d.readConfig(ctx, m.Config, &config); err != nil {
		return err
	}
	added := 0
	for _, b := range sigs {
		sig, err := sigstore.FromBlob(b)
		if err != nil {
			return err
		}
		l := ocispec.Descriptor{MediaType: sig.MIMEType, Digest: digest.FromBytes(sig.Payload), Size: int64(len(sig.Payload)), Annotations: sig.Annotations}
		if hasLayer(m.Layers, l) {
			continue
		}
		if err := d.c.PutBlob(ctx, d.repo, l, bytes.NewReader(sig.Payload)); err != nil {
			return fmt.Errorf("%s: writing a sigstore signature: %w", d.name, err)
		}
		m.Layers = append(m.Layers, l)
		config.rootfs.DiffIDs = append(config.rootfs.DiffIDs, l.Digest)
		added++
	}
	if added == 0 {
		d.log.Debug("every sigstore signature is already attached", "image", d.name, "digest", dg)
		return nil
	}
	cb, err := config.marshal()
	if err != nil {
		return err
	}
	m.Config = ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromBytes(cb), Size: int64(len(cb))}
	if err := d.c.PutBlob(ctx, d.repo, m.Config, bytes.NewReader(cb)); err != nil {
		return fmt.Errorf("%s: writing the sigstore attachment config: %w", d.name, err)
	}
	mb, err := json.Marshal(m)
	if err != nil {
		return err
	}
	tag, _ := AttachmentTag(dg)
	d.log.Debug("writing sigstore attachments", "image", d.name, "tag", tag, "added", added, "layers", len(m.Layers))
	if _, err := d.c.PutManifest(ctx, d.repo, tag, mb, ocispec.MediaTypeImageManifest); err != nil {
		return fmt.Errorf("%s: writing sigstore attachments %s: %w", d.name, tag, err)
	}
	return nil
}

func (d *Destination) getManifest(ctx context.Context, ref string) ([]byte, string, error) {
	b, mt, _, err := d.c.GetManifest(ctx, d.repo, ref)
	return b, mt, err
}

// attachmentConfig is the attachment manifest's config: its rootfs is
// kept in step with the layers, every other member (cosign writes
// architecture, os, created, history) kept as it was.
type attachmentConfig struct {
	other  map[string]json.RawMessage
	rootfs struct {
		Type    string          `json:"type"`
		DiffIDs []digest.Digest `json:"diff_ids"`
	}
}

// readConfig reads an existing attachment config.
func (d *Destination) readConfig(ctx context.Context, desc ocispec.Descriptor, cfg *attachmentConfig) error {
	b, err := smallBlob(ctx, d.c, d.repo, desc)
	if err != nil {
		return fmt.Errorf("%s: reading the sigstore attachment config: %w", d.name, err)
	}
	if err := json.Unmarshal(b, &cfg.other); err != nil {
		return fmt.Errorf("%w: parsing the sigstore attachment config %s: %v", errdefs.ErrInvalidManifest, desc.Digest, err)
	}
	if raw, ok := cfg.other["rootfs"]; ok {
		if err := json.Unmarshal(raw, &cfg.rootfs); err != nil {
			return fmt.Errorf("%w: parsing the sigstore attachment config %s: %v", errdefs.ErrInvalidManifest, desc.Digest, err)
		}
	}
	return nil
}

func (c *attachmentConfig) marshal() ([]byte, error) {
	out := maps.Clone(c.other)
	if out == nil {
		out = map[string]json.RawMessage{}
	}
	if c.rootfs.Type == "" {
		c.rootfs.Type = "layers"
	}
	rootfs, err := json.Marshal(c.rootfs)
	if err != nil {
		return nil, err
	}
	out["rootfs"] = rootfs
	return json.Marshal(out)
}

// hasLayer reports whether layers already hold l: same media type, bytes
// and annotations.
func hasLayer(layers []ocispec.Descriptor, l ocispec.Descriptor) bool {
	for _, x := range layers {
		if x.MediaType == l.MediaType && x.Digest == l.Digest && x.Size == l.Size && maps.Equal(x.Annotations, l.Annotations) {
			return true
		}
	}
	return false
}
