package artifacts_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/artifacts"
	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/registry/auth"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/dir"
	"github.com/ferrytool/ferry/transport/docker"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// fixture is a registry holding an image with artifacts attached as
// cosign and oras-style tools attach them.
type fixture struct {
	reg   *testregistry.Registry
	t     transport.Transport
	image digest.Digest
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	reg := testregistry.New(t, testregistry.Options{})
	f := &fixture{reg: reg, t: docker.New(docker.Config{Insecure: true, Auth: auth.Settings{NoCreds: true}, NoRegistryHints: true})}
	img := testimage.New(testimage.Options{Seed: 11})
	reg.Push(t, "src", "1", img)
	f.image = img.Digest
	return f
}

func (f *fixture) ref(t *testing.T, name string) transport.Reference {
	t.Helper()
	r, err := f.t.ParseReference("//" + f.reg.Ref(name))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// artifact pushes an OCI artifact manifest of artifactType to repo with
// one layer holding content, subject (when set) pointing at another
// manifest, and returns its descriptor.
func (f *fixture) artifact(t *testing.T, repo, artifactType, content string, subject digest.Digest) ocispec.Descriptor {
	t.Helper()
	empty := f.reg.PutBlob(t, repo, []byte("{}"))
	layer := f.reg.PutBlob(t, repo, []byte(content))
	m := ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest, ArtifactType: artifactType,
		Config: ocispec.Descriptor{MediaType: "application/vnd.oci.empty.v1+json", Digest: empty, Size: 2},
		Layers: []ocispec.Descriptor{{MediaType: artifactType, Digest: layer, Size: int64(len(content))}}}
	if subject != "" {
		sb, mt, ok := f.reg.Manifest(t, repo, subject.String())
		if !ok {
			t.Fatalf("subject %s missing", subject)
		}
		m.Subject = &ocispec.Descriptor{MediaType: mt, Digest: subject, Size: int64(len(sb))}
	}
	b, _ := json.Marshal(m)
	d := digest.FromBytes(b)
	f.reg.PutManifest(t, repo, d.String(), b, ocispec.MediaTypeImageManifest)
	return ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: d, Size: int64(len(b)), ArtifactType: artifactType}
}

// index writes the referrers tag schema's index of subject.
func (f *fixture) index(t *testing.T, repo string, subject digest.Digest, entries ...ocispec.Descriptor) {
	t.Helper()
	b, _ := json.Marshal(ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: entries})
	f.reg.PutManifest(t, repo, tagOf(subject, ""), b, ocispec.MediaTypeImageIndex)
}

// sbomAndAttestation attaches to the image at src, under the referrers
// tag schema, an SBOM and an attestation, and to the SBOM a signature.
func (f *fixture) sbomAndAttestation(t *testing.T) (sbom, att, sbomSig ocispec.Descriptor) {
	t.Helper()
	sbom = f.artifact(t, "src", "application/spdx+json", `{"spdxVersion":"SPDX-2.3"}`, f.image)
	att = f.artifact(t, "src", "application/vnd.in-toto+json", `{"_type":"https://in-toto.io/Statement/v1"}`, f.image)
	sbomSig = f.artifact(t, "src", "application/vnd.dev.sigstore.bundle.v0.3+json", `{"bundle":1}`, sbom.Digest)
	f.index(t, "src", f.image, sbom, att)
	f.index(t, "src", sbom.Digest, sbomSig)
	return sbom, att, sbomSig
}

// tag copies manifest d of repo to a tag.
func (f *fixture) tag(t *testing.T, repo string, d digest.Digest, tag string) {
	t.Helper()
	b, mt, ok := f.reg.Manifest(t, repo, d.String())
	if !ok {
		t.Fatalf("%s missing", d)
	}
	f.reg.PutManifest(t, repo, tag, b, mt)
}

func tagOf(d digest.Digest, suffix string) string {
	return strings.Replace(d.String(), ":", "-", 1) + suffix
}

func (f *fixture) referrers(t *testing.T, repo string, subject digest.Digest) []digest.Digest {
	t.Helper()
	b, _, ok := f.reg.Manifest(t, repo, tagOf(subject, ""))
	if !ok {
		return nil
	}
	var ix ocispec.Index
	if err := json.Unmarshal(b, &ix); err != nil {
		t.Fatal(err)
	}
	var out []digest.Digest
	for _, m := range ix.Manifests {
		out = append(out, m.Digest)
	}
	return out
}

func copyImage(t *testing.T, f *fixture, dst string) {
	t.Helper()
	if _, err := copier.Copy(context.Background(), f.ref(t, "src:1"), f.ref(t, dst), copier.Options{PreserveDigests: true}); err != nil {
		t.Fatal(err)
	}
}

// TestCopyAttached: cosign's tags and the referrers index travel with the
// image, recursively (a signature on the SBOM comes too), the
// destination's own referrers are kept beside the source's, and a .sig
// the destination already has is left to the signature path; a second
// copy adds nothing.
func TestCopyAttached(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	sbom := f.artifact(t, "src", "application/spdx+json", `{"spdxVersion":"SPDX-2.3"}`, f.image)
	vuln := f.artifact(t, "src", "application/vnd.example.vuln+json", `{"ok":true}`, f.image)
	sbomSig := f.artifact(t, "src", "application/vnd.dev.sigstore.bundle.v0.3+json", `{"bundle":1}`, sbom.Digest)
	f.index(t, "src", f.image, sbom, vuln)
	f.index(t, "src", sbom.Digest, sbomSig)
	sig := f.artifact(t, "src", "application/vnd.dev.cosign.simplesigning.v1+json", `{"critical":{}}`, "")
	f.tag(t, "src", sig.Digest, tagOf(f.image, ".sig"))
	att := f.artifact(t, "src", "application/vnd.dsse.envelope.v1+json", `{"payload":""}`, "")
	f.tag(t, "src", att.Digest, tagOf(f.image, ".att"))

	copyImage(t, f, "dst:1")
	own := f.artifact(t, "dst", "application/vnd.example.own", "mine", f.image)
	f.index(t, "dst", f.image, own)

	done, err := artifacts.Copy(ctx, f.ref(t, "src:1"), f.ref(t, "dst:1"), f.image, artifacts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(done) != 5 {
		t.Errorf("copied %d artifacts, want 5 (sbom, vuln, .sig, .att, the sbom's signature): %+v", len(done), done)
	}
	if got := f.referrers(t, "dst", f.image); len(got) != 3 || got[0] != own.Digest {
		t.Errorf("destination referrers %v, want %s then the source's two", got, own.Digest)
	}
	if got := f.referrers(t, "dst", sbom.Digest); len(got) != 1 || got[0] != sbomSig.Digest {
		t.Errorf("the SBOM's referrers at the destination: %v", got)
	}
	for _, d := range []digest.Digest{sbom.Digest, vuln.Digest, sbomSig.Digest} {
		if _, _, ok := f.reg.Manifest(t, "dst", d.String()); !ok {
			t.Errorf("referrer %s missing at the destination", d)
		}
	}
	for _, tag := range []string{tagOf(f.image, ".sig"), tagOf(f.image, ".att")} {
		if b, _, ok := f.reg.Manifest(t, "dst", tag); !ok || digest.FromBytes(b) == "" {
			t.Errorf("%s missing at the destination", tag)
		}
	}

	listed, err := artifacts.List(ctx, f.ref(t, "dst:1"), &transport.Options{}, f.image)
	if err != nil {
		t.Fatal(err)
	}
	got := map[digest.Digest]digest.Digest{} // artifact -> subject
	for _, l := range listed {
		got[l.Digest] = l.Subject
	}
	for art, subj := range map[digest.Digest]digest.Digest{own.Digest: f.image, sbom.Digest: f.image, vuln.Digest: f.image, sig.Digest: f.image, att.Digest: f.image, sbomSig.Digest: sbom.Digest} {
		if got[art] != subj {
			t.Errorf("List: %s attached to %q, want %s (all: %+v)", art, got[art], subj, listed)
		}
	}

	// Again: nothing new; a .sig the destination has is not replaced.
	other := f.artifact(t, "dst", "application/vnd.dev.cosign.simplesigning.v1+json", `{"other":1}`, "")
	f.tag(t, "dst", other.Digest, tagOf(f.image, ".sig"))
	done, err = artifacts.Copy(ctx, f.ref(t, "src:1"), f.ref(t, "dst:1"), f.image, artifacts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(done) != 1 || done[0].Name != tagOf(f.image, ".att") {
		t.Errorf("second copy: %+v, want only the .att tag again", done)
	}
	if b, _, _ := f.reg.Manifest(t, "dst", tagOf(f.image, ".sig")); digest.FromBytes(b) != other.Digest {
		t.Error("the destination's .sig was replaced")
	}

	// Filtered by artifact type: only the SBOM (and nothing of cosign's).
	copyImage(t, f, "filtered:1")
	done, err = artifacts.Copy(ctx, f.ref(t, "src:1"), f.ref(t, "filtered:1"), f.image, artifacts.Options{ArtifactTypes: []string{"application/spdx+json"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.referrers(t, "filtered", f.image); len(got) != 1 || got[0] != sbom.Digest || len(done) != 1 {
		t.Errorf("filtered: referrers %v, copied %+v", got, done)
	}
}

// TestCopyAttachedUnsupported: a dir: image is refused in one sentence.
func TestCopyAttachedUnsupported(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	d, err := dir.Transport.ParseReference(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	_, err = artifacts.Copy(context.Background(), f.ref(t, "src:1"), d, f.image, artifacts.Options{})
	if !errors.Is(err, errdefs.ErrNotSupported) {
		t.Errorf("to dir: %v", err)
	}
}
