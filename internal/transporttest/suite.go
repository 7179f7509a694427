// Package transporttest is the conformance suite every transport runs, as
// go-containerregistry's validate package is for its images: one Run call
// in a transport's tests checks the contract of transport.Destination and
// transport.Source against real writes and reads:
//
//   - round trip: an image (and an index, where the transport holds
//     one) written through a Destination reads back through a Source, every
//     blob hashing to the digest its manifest names, and byte for byte the
//     same where the destination keeps digests;
//   - close without commit leaves nothing: no image at the name, no file
//     beside it;
//   - a corrupt blob (a reader that fails at the end, as the copier's
//     verifying reader does) is refused and not stored;
//   - hostile names are refused: references the transport must not parse,
//     and digests that would name a path outside the destination.
//
// A source-only transport (tarball:) runs the read half on an image it
// seeds by its own means.
package transporttest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/verify"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Subject describes the transport under test.
type Subject struct {
	// Transport parses the names below.
	Transport transport.Transport
	// NewName returns a fresh place to write one image, as the text after
	// "transport:" (a path in a new temporary directory, a new tag).
	// Leave it nil for a source-only transport.
	NewName func(t *testing.T) string
	// Seed, for a source-only transport, makes img readable and returns
	// its name.
	Seed func(t *testing.T, img *testimage.Image) string
	// Options are given to every NewSource and NewDestination (nil: the
	// defaults).
	Options func(t *testing.T) *transport.Options
	// Leftovers, when set, lists what is left at or beside name after a
	// destination was closed without Commit; the suite wants nothing.
	Leftovers func(t *testing.T, name string) []string
	// NoIndex: the transport holds single images only (docker-archive).
	NoIndex bool
	// ManifestCommits: storing the top manifest makes the image visible,
	// as on a registry, which has no transaction to commit. The
	// close-without-commit check then closes before PutManifest.
	ManifestCommits bool
	// HostileNames must be refused by ParseReference, or by
	// NewDestination when they parse.
	HostileNames []string
}

// hostileDigests would name a path outside a destination if a transport
// built file names from them unchecked.
var hostileDigests = []digest.Digest{
	"sha256:../../../../../../tmp/ferry-escape",
	"sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" + "/../../x",
	"../../../../etc/passwd",
	"sha256:",
}

// Run runs the suite.
func Run(t *testing.T, s Subject) {
	t.Helper()
	t.Run("HostileNames", func(t *testing.T) { hostileNames(t, s) })
	if s.NewName == nil {
		t.Run("Read", func(t *testing.T) { readSeeded(t, s) })
		return
	}
	t.Run("RoundTrip", func(t *testing.T) { roundTrip(t, s) })
	t.Run("CloseWithoutCommit", func(t *testing.T) { closeWithoutCommit(t, s) })
	t.Run("CorruptBlob", func(t *testing.T) { corruptBlob(t, s) })
	t.Run("HostileDigests", func(t *testing.T) { hostileDigestsRefused(t, s) })
}

func (s Subject) options(t *testing.T) *transport.Options {
	if s.Options == nil {
		return &transport.Options{}
	}
	return s.Options(t)
}

func (s Subject) parse(t *testing.T, name string) transport.Reference {
	t.Helper()
	r, err := s.Transport.ParseReference(name)
	if err != nil {
		t.Fatalf("ParseReference(%q): %v", name, err)
	}
	return r
}

// image is what testimage builds: a single image or an index.
type image interface {
	Write(ctx context.Context, dst transport.Destination) error
	Source() *testimage.Source
}

func roundTrip(t *testing.T, s Subject) {
	cases := map[string]image{
		"oci image":    testimage.New(testimage.Options{Seed: 1}),
		"docker image": testimage.New(testimage.Options{Seed: 2, Docker: true}),
	}
	if !s.NoIndex {
		cases["oci index"] = testimage.NewIndex(false,
			manifest.Platform{OS: "linux", Architecture: "amd64"},
			manifest.Platform{OS: "linux", Architecture: "arm64"})
		cases["docker list"] = testimage.NewIndex(true,
			manifest.Platform{OS: "linux", Architecture: "amd64"},
			manifest.Platform{OS: "linux", Architecture: "arm64"})
	}
	for name, img := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			ref := s.parse(t, s.NewName(t))
			dst, err := ref.NewDestination(ctx, s.options(t))
			if err != nil {
				t.Fatalf("NewDestination: %v", err)
			}
			keeps := dst.Capabilities().KeepsDigests
			if err := img.Write(ctx, dst); err != nil {
				dst.Close()
				t.Fatalf("write: %v", err)
			}
			if err := dst.Close(); err != nil {
				t.Fatalf("Close after Commit: %v", err)
			}
			src, err := ref.NewSource(ctx, s.options(t))
			if err != nil {
				t.Fatalf("NewSource after Commit: %v", err)
			}
			defer src.Close()
			want := img.Source()
			if keeps {
				AssertSame(t, want, src)
				return
			}
			assertConsistent(t, src, want)
		})
	}
}

// readSeeded checks a source-only transport's image: every blob hashes to
// the digest its manifest names, and hostile digests are refused.
func readSeeded(t *testing.T, s Subject) {
	ctx := context.Background()
	img := testimage.New(testimage.Options{Seed: 1})
	src, err := s.parse(t, s.Seed(t, img)).NewSource(ctx, s.options(t))
	if err != nil {
		t.Fatalf("NewSource: %v", err)
	}
	defer src.Close()
	assertConsistent(t, src, nil)
	hostileSource(t, src)
}

func closeWithoutCommit(t *testing.T, s Subject) {
	ctx := context.Background()
	name := s.NewName(t)
	ref := s.parse(t, name)
	img := testimage.New(testimage.Options{Seed: 3})
	dst, err := ref.NewDestination(ctx, s.options(t))
	if err != nil {
		t.Fatalf("NewDestination: %v", err)
	}
	for _, d := range append([]ocispec.Descriptor{img.Config}, img.Layers...) {
		if err := dst.PutBlob(ctx, d, bytes.NewReader(img.Blobs[d.Digest])); err != nil {
			t.Fatalf("PutBlob: %v", err)
		}
	}
	if !s.ManifestCommits {
		if err := dst.PutManifest(ctx, img.Manifest, img.MediaType, nil); err != nil {
			t.Fatalf("PutManifest: %v", err)
		}
	}
	if err := dst.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	assertAbsent(t, s, ref)
	if s.Leftovers != nil {
		if left := s.Leftovers(t, name); len(left) > 0 {
			t.Errorf("left behind after Close without Commit: %v", left)
		}
	}
}

// assertAbsent checks that no image can be read at ref.
func assertAbsent(t *testing.T, s Subject, ref transport.Reference) {
	t.Helper()
	ctx := context.Background()
	src, err := ref.NewSource(ctx, s.options(t))
	if err == nil {
		defer src.Close()
		_, _, err = src.Manifest(ctx, nil)
	}
	if !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("reading an uncommitted image: got %v, want %v", err, errdefs.ErrNotFound)
	}
}

// failingReader yields its content, then fails instead of io.EOF: what a
// verifying reader does at the end of content whose digest is wrong.
type failingReader struct{ r io.Reader }

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errdefs.ErrDigestMismatch
	}
	return n, err
}

func corruptBlob(t *testing.T, s Subject) {
	ctx := context.Background()
	name := s.NewName(t)
	ref := s.parse(t, name)
	img := testimage.New(testimage.Options{Seed: 4})
	layer := img.Layers[0]
	bad := bytes.Clone(img.Blobs[layer.Digest])
	bad[len(bad)/2] ^= 0xff
	dst, err := ref.NewDestination(ctx, s.options(t))
	if err != nil {
		t.Fatalf("NewDestination: %v", err)
	}
	defer dst.Close()
	vr, err := verify.NewReader(bytes.NewReader(bad), layer.Digest, layer.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := dst.PutBlob(ctx, layer, vr); err == nil {
		t.Fatal("PutBlob of content that does not match its digest succeeded")
	}
	other := img.Layers[1]
	if err := dst.PutBlob(ctx, other, &failingReader{bytes.NewReader(img.Blobs[other.Digest])}); err == nil {
		t.Fatal("PutBlob with a reader that failed at the end succeeded")
	}
	for _, d := range []ocispec.Descriptor{layer, other} {
		if has, err := dst.HasBlob(ctx, d); err == nil && has {
			t.Errorf("HasBlob(%s) is true after a refused PutBlob", d.Digest)
		}
	}
	if err := dst.Close(); err != nil {
		t.Logf("Close after a refused blob: %v", err)
	}
	if s.Leftovers != nil {
		if left := s.Leftovers(t, name); len(left) > 0 {
			t.Errorf("left behind after a refused blob: %v", left)
		}
	}
}
