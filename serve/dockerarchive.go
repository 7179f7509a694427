package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/archive"
	"github.com/ferrytool/ferry/internal/ocilayout"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/dockerarchive"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// openDockerArchive serves a `docker save` archive with the manifests
// ferry's docker-archive: transport derives for its images (skopeo's,
// byte for byte): each image is named by its RepoTags, as given, in the
// familiar form (docker.io/library/nginx:1 is also nginx:1) and without
// the registry (library/nginx:1). The
// config and the derived manifest are held in memory; layers are read
// at their offset in the tar.
func openDockerArchive(ctx context.Context, path string) (*tarContent, error) {
	a, err := indexTar(ctx, path)
	if err != nil {
		return nil, err
	}
	c, err := deriveDockerArchive(ctx, a, path)
	if err != nil {
		a.Close()
		return nil, err
	}
	return c, nil
}

// dockerArchiveItem is the part of a manifest.json entry the registry
// reads: the config member, the names and the layer members, bottom
// first.
type dockerArchiveItem struct {
	Config   string
	RepoTags []string
	Layers   []string
}

func deriveDockerArchive(ctx context.Context, a *archive.Archive, path string) (*tarContent, error) {
	b, err := a.ReadFile("manifest.json", archive.MaxMetadata)
	if err != nil {
		return nil, fmt.Errorf("%w (not a docker save archive?)", err)
	}
	var items []dockerArchiveItem
	if err := json.Unmarshal(b, &items); err != nil {
		return nil, fmt.Errorf("%w: manifest.json: %v", errdefs.ErrInvalidArchive, err)
	}
	c := &tarContent{a: a, ix: ocilayout.NewIndex(), member: map[digest.Digest]string{}, small: map[digest.Digest][]byte{}}
	for i, it := range items {
		mb, mt, err := derivedManifest(ctx, path, i)
		if err != nil {
			return nil, err
		}
		m, err := manifest.ParseImage(mb)
		if err != nil {
			return nil, err
		}
		if len(m.Layers) != len(it.Layers) {
			return nil, fmt.Errorf("%w: image %d: the manifest has %d layers, manifest.json %d", errdefs.ErrInvalidArchive, i, len(m.Layers), len(it.Layers))
		}
		for j, l := range m.Layers {
			if err := c.addLayer(l, it.Layers[j]); err != nil {
				return nil, err
			}
		}
		cfg, err := a.ReadFile(it.Config, archive.MaxMetadata)
		if err != nil {
			return nil, err
		}
		if digest.FromBytes(cfg) != m.Config.Digest {
			return nil, fmt.Errorf("%w: image %d: its config does not hash to %s", errdefs.ErrDigestMismatch, i, m.Config.Digest)
		}
		c.small[m.Config.Digest] = cfg
		d := digest.FromBytes(mb)
		c.small[d] = mb
		desc := ocispec.Descriptor{MediaType: mt, Digest: d, Size: int64(len(mb))}
		named := false
		for _, name := range refNames(it.RepoTags) {
			ocilayout.AddEntry(c.ix, desc, name)
			named = true
		}
		if !named {
			ocilayout.AddEntry(c.ix, desc, "")
		}
	}
	return c, nil
}

// derivedManifest is the manifest ferry's docker-archive: transport
// gives image i of the archive at path.
func derivedManifest(ctx context.Context, path string, i int) ([]byte, string, error) {
	ref, err := dockerarchive.Transport.ParseReference(path + ":@" + strconv.Itoa(i))
	if err != nil {
		return nil, "", err
	}
	src, err := ref.NewSource(ctx, &transport.Options{})
	if err != nil {
		return nil, "", err
	}
	defer src.Close()
	return src.Manifest(ctx, nil)
}

// addLayer records where layer l is in the tar. A layer stored
// uncompressed (as docker save stores it) is served from there as it is;
// one stored compressed (as ferry writes docker-archives) is served
// decompressed as it is read (see decompressed), which is what its
// digest, the diff ID, names.
func (c *tarContent) addLayer(l ocispec.Descriptor, member string) error {
	sr, err := c.a.Open(member)
	if err != nil {
		return err
	}
	head := make([]byte, archive.MagicLen)
	n, _ := sr.ReadAt(head, 0)
	comp := archive.Detect(head[:n])
	if comp == archive.None && sr.Size() != l.Size {
		return fmt.Errorf("%w: layer %s is %d bytes in the archive, %d in its manifest", errdefs.ErrInvalidArchive, l.Digest, sr.Size(), l.Size)
	}
	c.member[l.Digest] = member
	if comp != archive.None {
		if c.compressed == nil {
			c.compressed = map[digest.Digest]compressedMember{}
		}
		c.compressed[l.Digest] = compressedMember{comp: comp, size: l.Size}
	}
	return nil
}

// refNames are the index.json names of an image's RepoTags: each as
// written, in its familiar form and as its path without the registry
// (127.0.0.1:5000/app:1, as docker save names a pulled image, is also
// app:1), those that are valid REPO:TAG names.
func refNames(tags []string) []string {
	var out []string
	add := func(s string) {
		for _, x := range out {
			if x == s {
				return
			}
		}
		if _, _, ok := entryName(ocispec.Descriptor{Annotations: map[string]string{ocispec.AnnotationRefName: s}}); ok && ocilayout.ValidateRefName(s) == nil {
			out = append(out, s)
		}
	}
	for _, t := range tags {
		add(t)
		if n, err := reference.ParseNormalizedNamed(t); err == nil {
			if t := reference.Tag(n); t != "" {
				add(reference.FamiliarName(n) + ":" + t)
				add(reference.Path(n) + ":" + t)
			}
		}
	}
	return out
}
