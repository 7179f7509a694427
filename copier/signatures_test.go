package copier_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/dir"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

var (
	amd64 = manifest.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = manifest.Platform{OS: "linux", Architecture: "arm64"}
)

// Two signatures as skopeo stores them: opaque bytes to the copier.
var sigs = [][]byte{[]byte("\xa3\x01first signature"), []byte("\xa3\x02second signature, longer")}

// signedDir writes img to a new dir: image at root with sigs as
// signature-1 and signature-2, the way `skopeo copy --sign-by` leaves it.
func signedDir(t *testing.T, img *testimage.Image) string {
	t.Helper()
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "signed")
	d, err := dir.OpenDestination(ctx, &dir.Reference{Path: root}, &transport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	putImage(t, d, img, nil)
	if err := d.PutManifest(ctx, img.Manifest, img.MediaType, nil); err != nil {
		t.Fatal(err)
	}
	if err := d.PutSignatures(ctx, sigs, nil); err != nil {
		t.Fatal(err)
	}
	if err := d.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return root
}

// signedIndexDir writes ix to a dir: image with a signature per instance
// (HEX.signature-1) and none for the index.
func signedIndexDir(t *testing.T, ix *testimage.Index) string {
	t.Helper()
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "signed-index")
	d, err := dir.OpenDestination(ctx, &dir.Reference{Path: root}, &transport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, img := range ix.Images {
		dg := img.Digest
		putImage(t, d, img, &dg)
		if err := d.PutSignatures(ctx, [][]byte{[]byte("signature of " + img.Platform.Architecture)}, &dg); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.PutManifest(ctx, ix.Manifest, ix.MediaType, nil); err != nil {
		t.Fatal(err)
	}
	if err := d.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return root
}

func putImage(t *testing.T, d transport.Destination, img *testimage.Image, instance *digest.Digest) {
	t.Helper()
	ctx := context.Background()
	for _, desc := range append([]ocispec.Descriptor{img.Config}, img.Layers...) {
		if err := d.PutBlob(ctx, desc, bytes.NewReader(img.Blobs[desc.Digest])); err != nil {
			t.Fatal(err)
		}
	}
	if instance != nil {
		if err := d.PutManifest(ctx, img.Manifest, img.MediaType, instance); err != nil {
			t.Fatal(err)
		}
	}
}

// sigFiles reads every signature file of a dir: image, by name.
func sigFiles(t *testing.T, root string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	names, err := filepath.Glob(filepath.Join(root, "*signature-*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(n)] = b
	}
	return out
}

func absent(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s exists after a refused copy (stat: %v)", path, err)
	}
}

func TestSignaturesSurviveDirToDir(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := signedDir(t, testimage.New(testimage.Options{}))
	out := filepath.Join(t.TempDir(), "out")
	if _, err := copier.Copy(ctx, parse(t, "dir:"+src), parse(t, "dir:"+out), copier.Options{}); err != nil {
		t.Fatal(err)
	}
	got := sigFiles(t, out)
	if len(got) != 2 || !bytes.Equal(got["signature-1"], sigs[0]) || !bytes.Equal(got["signature-2"], sigs[1]) {
		t.Errorf("destination signatures %q, want signature-1 and signature-2 byte for byte", got)
	}
	// Copying again with RemoveSignatures replaces the image and drops them.
	if _, err := copier.Copy(ctx, parse(t, "dir:"+src), parse(t, "dir:"+out), copier.Options{RemoveSignatures: true}); err != nil {
		t.Fatal(err)
	}
	if got := sigFiles(t, out); len(got) != 0 {
		t.Errorf("RemoveSignatures left %d signature files", len(got))
	}
	fresh := filepath.Join(t.TempDir(), "fresh")
	if _, err := copier.Copy(ctx, parse(t, "dir:"+src), parse(t, "dir:"+fresh), copier.Options{RemoveSignatures: true}); err != nil {
		t.Fatal(err)
	}
	if got := sigFiles(t, fresh); len(got) != 0 {
		t.Errorf("RemoveSignatures wrote %d signature files", len(got))
	}
}

func TestInstanceSignatures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ix := testimage.NewIndex(false, amd64, arm64)
	src := signedIndexDir(t, ix)

	all := filepath.Join(t.TempDir(), "all")
	if _, err := copier.Copy(ctx, parse(t, "dir:"+src), parse(t, "dir:"+all), copier.Options{MultiArch: copier.All}); err != nil {
		t.Fatal(err)
	}
	got := sigFiles(t, all)
	for _, img := range ix.Images {
		name := img.Digest.Encoded() + ".signature-1"
		if want := "signature of " + img.Platform.Architecture; string(got[name]) != want {
			t.Errorf("%s holds %q, want %q", name, got[name], want)
		}
	}
	if len(got) != 2 {
		t.Errorf("got signature files %v, want one per instance", slices.Collect(mapKeys(got)))
	}

	// Copying one platform makes its instance the top image: its
	// signature becomes signature-1.
	one := filepath.Join(t.TempDir(), "one")
	if _, err := copier.Copy(ctx, parse(t, "dir:"+src), parse(t, "dir:"+one), copier.Options{Platform: arm64}); err != nil {
		t.Fatal(err)
	}
	if got := sigFiles(t, one); len(got) != 1 || string(got["signature-1"]) != "signature of arm64" {
		t.Errorf("single-platform copy has signatures %q, want the arm64 instance's as signature-1", got)
	}

	// Keeping a subset rewrites the index; that is fine while the index
	// itself is unsigned.
	sub := filepath.Join(t.TempDir(), "sub")
	if _, err := copier.Copy(ctx, parse(t, "dir:"+src), parse(t, "dir:"+sub), copier.Options{MultiArch: copier.Platforms, Platforms: []manifest.Platform{amd64}}); err != nil {
		t.Fatal(err)
	}
}

func mapKeys(m map[string][]byte) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestSignedRefusals: a copy that would invalidate signatures, or put them
// where they cannot be stored, refuses unless told to remove them, and
// writes nothing.
func TestSignedRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	docker := signedDir(t, testimage.New(testimage.Options{Docker: true}))
	oci := signedDir(t, testimage.New(testimage.Options{Seed: 2}))

	t.Run("format conversion", func(t *testing.T) {
		t.Parallel()
		out := filepath.Join(t.TempDir(), "out")
		_, err := copier.Copy(ctx, parse(t, "dir:"+docker), parse(t, "dir:"+out), copier.Options{Format: "oci"})
		var me *copier.ModifyError
		if !errors.As(err, &me) || me.Reason != copier.KeepSignatures || !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Fatalf("got %v, want a ModifyError for the signatures", err)
		}
		absent(t, out)
		if _, err := copier.Copy(ctx, parse(t, "dir:"+docker), parse(t, "dir:"+out), copier.Options{Format: "oci", RemoveSignatures: true}); err != nil {
			t.Fatalf("with RemoveSignatures: %v", err)
		}
		if got := sigFiles(t, out); len(got) != 0 {
			t.Errorf("converted copy has signatures %q", got)
		}
	})
	t.Run("recompression", func(t *testing.T) {
		t.Parallel()
		out := filepath.Join(t.TempDir(), "out")
		_, err := copier.Copy(ctx, parse(t, "dir:"+oci), parse(t, "dir:"+out), copier.Options{Compression: "zstd"})
		var me *copier.ModifyError
		if !errors.As(err, &me) || me.Reason != copier.KeepSignatures {
			t.Fatalf("got %v, want a ModifyError for the signatures", err)
		}
		absent(t, out)
	})
	t.Run("destination without signatures", func(t *testing.T) {
		t.Parallel()
		// An existing layout holding another image stays as it was.
		root := filepath.Join(t.TempDir(), "layout")
		other := testimage.New(testimage.Options{Seed: 9})
		if _, err := copier.Copy(ctx, &srcRef{img: other}, parse(t, "oci:"+root+":keep"), copier.Options{}); err != nil {
			t.Fatal(err)
		}
		before := tree(t, root)
		_, err := copier.Copy(ctx, parse(t, "dir:"+oci), parse(t, "oci:"+root+":signed"), copier.Options{})
		var su *copier.SignaturesUnsupportedError
		if !errors.As(err, &su) || !errors.Is(err, errdefs.ErrNotSupported) {
			t.Fatalf("got %v, want a SignaturesUnsupportedError", err)
		}
		if want := "Can not copy signatures to oci:" + root + ":signed"; !bytes.HasPrefix([]byte(err.Error()), []byte(want)) {
			t.Errorf("error %q does not start with %q", err, want)
		}
		if after := tree(t, root); !equalTrees(before, after) {
			t.Errorf("the layout changed:\nbefore %v\nafter  %v", before, after)
		}
		if _, err := copier.Copy(ctx, parse(t, "dir:"+oci), parse(t, "oci:"+root+":signed"), copier.Options{RemoveSignatures: true}); err != nil {
			t.Fatalf("with RemoveSignatures: %v", err)
		}
	})
}

// tree maps every file under root to its bytes.
func tree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		out[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func equalTrees(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// countingRef opens its reference's source wrapped in a blobCounter.
type countingRef struct {
	transport.Reference
	blobs atomic.Int64
}

func (r *countingRef) NewSource(ctx context.Context, o *transport.Options) (transport.Source, error) {
	s, err := r.Reference.NewSource(ctx, o)
	if err != nil {
		return nil, err
	}
	return &blobCounter{Source: s, n: &r.blobs}, nil
}

// blobCounter counts Blob calls and passes signatures through.
type blobCounter struct {
	transport.Source
	n *atomic.Int64
}

func (b *blobCounter) Blob(ctx context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
	b.n.Add(1)
	return b.Source.Blob(ctx, d)
}

func (b *blobCounter) Signatures(ctx context.Context, instance *digest.Digest) ([][]byte, error) {
	return b.Source.(transport.SignatureSource).Signatures(ctx, instance)
}

// TestPolicyRefusalLeavesDestinations: a refused copy reads no blob, does
// not create a dir: destination and leaves an existing layout as it was;
// the policy saw the source's signatures.
func TestPolicyRefusalLeavesDestinations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	img := testimage.New(testimage.Options{})
	src := signedDir(t, img)
	var shown [][]byte
	refuse := copier.PolicyFunc(func(_ context.Context, ref transport.Reference, inst copier.Instance) error {
		if transport.FullName(ref) != "dir:"+src || inst.Digest != img.Digest {
			t.Errorf("policy asked about %s %s", transport.FullName(ref), inst.Digest)
		}
		shown = inst.Signatures
		return errors.New("signed by an unknown key")
	})
	layoutRoot := filepath.Join(t.TempDir(), "layout")
	if _, err := copier.Copy(ctx, &srcRef{img: testimage.New(testimage.Options{Seed: 3})}, parse(t, "oci:"+layoutRoot+":keep"), copier.Options{}); err != nil {
		t.Fatal(err)
	}
	before := tree(t, layoutRoot)
	newDir := filepath.Join(t.TempDir(), "new")
	for _, dst := range []string{"dir:" + newDir, "oci:" + layoutRoot + ":refused"} {
		ref := &countingRef{Reference: parse(t, "dir:"+src)}
		_, err := copier.Copy(ctx, ref, parse(t, dst), copier.Options{Policy: refuse})
		if !errors.Is(err, errdefs.ErrDenied) || err.Error() != "Source image rejected: signed by an unknown key" {
			t.Fatalf("%s: got %v, want the policy's refusal", dst, err)
		}
		if n := ref.blobs.Load(); n != 0 {
			t.Errorf("%s: %d blobs read from the source before the refusal", dst, n)
		}
	}
	absent(t, newDir)
	if after := tree(t, layoutRoot); !equalTrees(before, after) {
		t.Errorf("the layout changed")
	}
	if len(shown) != 2 || !bytes.Equal(shown[0], sigs[0]) || !bytes.Equal(shown[1], sigs[1]) {
		t.Errorf("policy was shown signatures %q, want the source's two", shown)
	}
}
