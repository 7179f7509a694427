package artifacts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ferrytool/ferry/artifacts"
	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/internal/testenv"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/layout"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestCopyAttachedThroughLayout: an image with an SBOM and an attestation
// attached as referrers, a signature on the SBOM and a cosign .sig tag,
// copied registry → oci: → registry, keeps every referrer with its
// digest. In the layout they are index.json entries (the referrers with
// no ref name, found by their subject; the .sig tag as a ref name), no
// referrers index is written there, and skopeo still reads the image.
func TestCopyAttachedThroughLayout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	sbom, att, sbomSig := f.sbomAndAttestation(t)
	sig := f.artifact(t, "src", "application/vnd.dev.cosign.simplesigning.v1+json", `{"critical":{}}`, "")
	f.tag(t, "src", sig.Digest, tagOf(f.image, ".sig"))

	root := filepath.Join(t.TempDir(), "lay")
	lay, err := layout.ParseReference(root + ":1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := copier.Copy(ctx, f.ref(t, "src:1"), lay, copier.Options{PreserveDigests: true}); err != nil {
		t.Fatal(err)
	}
	done, err := artifacts.Copy(ctx, f.ref(t, "src:1"), lay, f.image, artifacts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(done) != 4 {
		t.Errorf("to the layout: copied %+v, want the SBOM, the attestation, the .sig and the SBOM's signature", done)
	}

	var ix ocispec.Index
	b, err := os.ReadFile(filepath.Join(root, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ix); err != nil {
		t.Fatal(err)
	}
	entries := map[digest.Digest]string{}
	for _, e := range ix.Manifests {
		entries[e.Digest] = e.Annotations[ocispec.AnnotationRefName]
	}
	want := map[digest.Digest]string{f.image: "1", sbom.Digest: "", att.Digest: "", sbomSig.Digest: "", sig.Digest: tagOf(f.image, ".sig")}
	if len(entries) != len(want) || len(ix.Manifests) != len(want) {
		t.Errorf("index.json entries %v, want %v", entries, want)
	}
	for d, name := range want {
		if got, ok := entries[d]; !ok || got != name {
			t.Errorf("index.json: %s named %q (present %v), want %q", d, got, ok, name)
		}
	}

	// Listing the layout finds the referrers by their subject, with
	// their artifact types.
	listed, err := artifacts.List(ctx, lay, &transport.Options{}, f.image)
	if err != nil {
		t.Fatal(err)
	}
	types := map[digest.Digest]string{}
	for _, l := range listed {
		types[l.Digest] = l.ArtifactType
	}
	if types[sbom.Digest] != "application/spdx+json" || types[att.Digest] != "application/vnd.in-toto+json" || len(listed) != 4 {
		t.Errorf("listed from the layout: %+v", listed)
	}

	// Again: nothing new in the layout.
	if again, err := artifacts.Copy(ctx, f.ref(t, "src:1"), lay, f.image, artifacts.Options{}); err != nil || len(again) != 0 {
		t.Errorf("second copy to the layout: %+v, %v", again, err)
	}

	back := f.ref(t, "back:1")
	if _, err := copier.Copy(ctx, lay, back, copier.Options{PreserveDigests: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := artifacts.Copy(ctx, lay, back, f.image, artifacts.Options{}); err != nil {
		t.Fatal(err)
	}
	if got := f.referrers(t, "back", f.image); len(got) != 2 || !slices.Contains(got, sbom.Digest) || !slices.Contains(got, att.Digest) {
		t.Errorf("referrers of the image back at a registry: %v", got)
	}
	if got := f.referrers(t, "back", sbom.Digest); len(got) != 1 || got[0] != sbomSig.Digest {
		t.Errorf("referrers of the SBOM back at a registry: %v", got)
	}
	for _, d := range []digest.Digest{sbom.Digest, att.Digest, sbomSig.Digest} {
		if _, _, ok := f.reg.Manifest(t, "back", d.String()); !ok {
			t.Errorf("referrer %s missing back at a registry", d)
		}
	}
	if b, _, ok := f.reg.Manifest(t, "back", tagOf(f.image, ".sig")); !ok || digest.FromBytes(b) != sig.Digest {
		t.Error("the .sig tag did not come back with its digest")
	}

	// skopeo reads the image from the layout the artifacts were added to.
	bin := testenv.NeedCommand(t, "skopeo")
	cmd := exec.CommandContext(ctx, bin, "inspect", "--raw", "oci:"+root+":1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("skopeo inspect: %v\n%s", err, stderr.String())
	}
	if digest.FromBytes(out) != f.image {
		t.Errorf("skopeo read manifest %s from the layout, want %s", digest.FromBytes(out), f.image)
	}
}
