package mirror_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/mirror"
	"github.com/ferrytool/ferry/transport/docker"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// attach writes an artifact whose subject is the image subject of repo
// and returns its digest; with tag set, it is stored under that tag (as
// cosign's .sig) instead of carrying a subject.
func attach(t *testing.T, reg *testregistry.Registry, repo, artifactType string, subject digest.Digest, tag string) digest.Digest {
	t.Helper()
	empty := reg.PutBlob(t, repo, []byte("{}"))
	layer := reg.PutBlob(t, repo, []byte(artifactType))
	m := ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest, ArtifactType: artifactType,
		Config: ocispec.Descriptor{MediaType: "application/vnd.oci.empty.v1+json", Digest: empty, Size: 2},
		Layers: []ocispec.Descriptor{{MediaType: artifactType, Digest: layer, Size: int64(len(artifactType))}}}
	if tag == "" {
		sb, mt, _ := reg.Manifest(t, repo, subject.String())
		m.Subject = &ocispec.Descriptor{MediaType: mt, Digest: subject, Size: int64(len(sb))}
	}
	b, _ := json.Marshal(m)
	d := digest.FromBytes(b)
	if tag == "" {
		tag = d.String()
	}
	reg.PutManifest(t, repo, tag, b, ocispec.MediaTypeImageManifest)
	return d
}

// referrersIndex writes the referrers tag schema's index of subject.
func referrersIndex(t *testing.T, reg *testregistry.Registry, repo string, subject digest.Digest, refs ...digest.Digest) {
	t.Helper()
	ix := ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex}
	for _, d := range refs {
		b, mt, _ := reg.Manifest(t, repo, d.String())
		var m ocispec.Manifest
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		ix.Manifests = append(ix.Manifests, ocispec.Descriptor{MediaType: mt, Digest: d, Size: int64(len(b)), ArtifactType: m.ArtifactType})
	}
	b, _ := json.Marshal(ix)
	reg.PutManifest(t, repo, schemaTag(subject, ""), b, ocispec.MediaTypeImageIndex)
}

func schemaTag(d digest.Digest, suffix string) string {
	return strings.Replace(d.String(), ":", "-", 1) + suffix
}

// TestSyncReferrers: with Referrers, a sync brings each image's attached
// artifacts (a referrer and a cosign .sig tag) to a registry and to an
// OCI layout, lists the artifact tags as no images of their own, and a
// re-sync that skips the unchanged image still brings a referrer added
// since.
func TestSyncReferrers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := testregistry.New(t, testregistry.Options{})
	dst := testregistry.New(t, testregistry.Options{})
	img := testimage.New(testimage.Options{Seed: 5})
	src.Push(t, "lib/app", "1", img)
	sbom := attach(t, src, "lib/app", "application/spdx+json", img.Digest, "")
	referrersIndex(t, src, "lib/app", img.Digest, sbom)
	sig := attach(t, src, "lib/app", "application/vnd.dev.cosign.simplesigning.v1+json", "", schemaTag(img.Digest, ".sig"))

	cfg := docker.Config{Insecure: true, NoRegistryHints: true}
	o := mirror.Options{Source: mirror.Docker, Destination: mirror.Docker, SourceDocker: cfg, DestinationDocker: cfg, Referrers: true}
	sync := func(dest string, o mirror.Options, want mirror.Status) {
		t.Helper()
		sum, err := mirror.Sync(ctx, src.Host()+"/lib/app", dest, o)
		if err != nil {
			t.Fatal(err)
		}
		if len(sum.Results) != 1 || sum.Results[0].Status != want {
			t.Fatalf("sync to %s: %+v, want one image %s (the artifact tags travel with it)", dest, sum.Results, want)
		}
	}
	referrers := func() []digest.Digest {
		b, _, ok := dst.Manifest(t, "m/app", schemaTag(img.Digest, ""))
		var ix ocispec.Index
		if !ok || json.Unmarshal(b, &ix) != nil {
			return nil
		}
		var out []digest.Digest
		for _, m := range ix.Manifests {
			out = append(out, m.Digest)
		}
		return out
	}

	sync(dst.Host()+"/m", o, mirror.Copied)
	if got := referrers(); len(got) != 1 || got[0] != sbom {
		t.Errorf("referrers at the destination: %v, want %s", got, sbom)
	}
	if b, _, ok := dst.Manifest(t, "m/app", schemaTag(img.Digest, ".sig")); !ok || digest.FromBytes(b) != sig {
		t.Error("the .sig tag did not arrive")
	}

	vex := attach(t, src, "lib/app", "application/vnd.openvex+json", img.Digest, "")
	referrersIndex(t, src, "lib/app", img.Digest, sbom, vex)
	sync(dst.Host()+"/m", o, mirror.Skipped)
	if got := referrers(); len(got) != 2 || !slices.Contains(got, vex) {
		t.Errorf("after the re-sync, referrers at the destination: %v, want %s too", got, vex)
	}

	// Into an OCI layout: the image under its name, the referrers as
	// entries, the .sig under its tag; the filter keeps only the SBOM.
	root := filepath.Join(t.TempDir(), "lay")
	lo := o
	lo.Destination, lo.ArtifactTypes = mirror.OCI, []string{"application/spdx+json"}
	sync(root, lo, mirror.Copied)
	b, err := os.ReadFile(filepath.Join(root, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ix ocispec.Index
	if err := json.Unmarshal(b, &ix); err != nil {
		t.Fatal(err)
	}
	var got []digest.Digest
	for _, m := range ix.Manifests {
		got = append(got, m.Digest)
	}
	if len(got) != 2 || !slices.Contains(got, img.Digest) || !slices.Contains(got, sbom) {
		t.Errorf("layout entries %v, want the image (its digest kept) and the SBOM only", got)
	}
}
