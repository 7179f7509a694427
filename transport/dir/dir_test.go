package dir_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/transporttest"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport/dir"
	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		img  testImage
	}{
		{"oci image", testimage.New(testimage.Options{})},
		{"docker image", testimage.New(testimage.Options{Docker: true, Seed: 1})},
		{"oci index", testimage.NewIndex(false, amd64, arm64)},
		{"docker list", testimage.NewIndex(true, amd64, arm64)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "img")
			write(t, path, tt.img)
			transporttest.AssertSame(t, tt.img.Source(), open(t, path))
			if diff := cmp.Diff(expectedFiles(tt.img), files(t, path)); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			if got := string(readFile(t, filepath.Join(path, "version"))); got != "Directory Transport Version: 1.1\n" {
				t.Errorf("version: got %q", got)
			}
		})
	}
}

func TestRefusesUnrelatedDirectory(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T, path string)
	}{
		{"non-empty, no version file", func(t *testing.T, path string) {
			writeFile(t, filepath.Join(path, "thesis.tex"), "precious")
		}},
		{"other version", func(t *testing.T, path string) {
			writeFile(t, filepath.Join(path, "version"), "Directory Transport Version: 1.0\n")
			writeFile(t, filepath.Join(path, "manifest.json"), "{}")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := t.TempDir()
			tt.setup(t, path)
			before := files(t, path)
			_, err := ref(path).NewDestination(context.Background(), nil)
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("got %v, want %v", err, errdefs.ErrInvalidArgument)
			}
			if diff := cmp.Diff(before, files(t, path)); diff != "" {
				t.Errorf("directory changed (-before +after):\n%s", diff)
			}
		})
	}
	file := filepath.Join(t.TempDir(), "file")
	writeFile(t, file, "x")
	if _, err := ref(file).NewDestination(context.Background(), nil); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("a file: got %v, want %v", err, errdefs.ErrInvalidArgument)
	}
}

func TestReplacesPreviousImage(t *testing.T) {
	t.Parallel()
	path := t.TempDir()
	old := testimage.NewIndex(false, amd64, arm64)
	write(t, path, old)
	writeFile(t, filepath.Join(path, "signature-1"), "old signature")
	img := testimage.New(testimage.Options{Seed: 7})
	write(t, path, img)
	transporttest.AssertSame(t, img.Source(), open(t, path))
	if diff := cmp.Diff(expectedFiles(img), files(t, path)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

// TestReusesBlobs: blobs the previous image shares with the new one are
// kept, not rewritten.
func TestReusesBlobs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := t.TempDir()
	ix := testimage.NewIndex(false, amd64, arm64)
	write(t, path, ix)
	img := ix.Images[0]
	dst, err := ref(path).NewDestination(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	for d, b := range img.Blobs {
		has, err := dst.HasBlob(ctx, descFor(d, b))
		if err != nil || !has {
			t.Fatalf("HasBlob(%s): %v, %v; want true", d, has, err)
		}
	}
	if err := dst.PutManifest(ctx, img.Manifest, img.MediaType, nil); err != nil {
		t.Fatal(err)
	}
	if err := dst.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	transporttest.AssertSame(t, img.Source(), open(t, path))
	if diff := cmp.Diff(expectedFiles(img), files(t, path)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

func TestCloseWithoutCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name  string
		setup func(t *testing.T) string // returns the path
	}{
		{"new directory", func(t *testing.T) string { return filepath.Join(t.TempDir(), "new") }},
		{"empty directory", func(t *testing.T) string { return t.TempDir() }},
		{"previous image", func(t *testing.T) string {
			p := t.TempDir()
			write(t, p, testimage.NewIndex(false, amd64))
			return p
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := tt.setup(t)
			before := snapshot(t, path)
			ix := testimage.NewIndex(false, amd64, arm64)
			dst, err := ref(path).NewDestination(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, img := range ix.Images {
				for d, b := range img.Blobs {
					if err := dst.PutBlob(ctx, descFor(d, b), bytes.NewReader(b)); err != nil {
						t.Fatal(err)
					}
				}
				d := img.Digest
				if err := dst.PutManifest(ctx, img.Manifest, img.MediaType, &d); err != nil {
					t.Fatal(err)
				}
			}
			if err := dst.PutManifest(ctx, ix.Manifest, ix.MediaType, nil); err != nil {
				t.Fatal(err)
			}
			if err := dst.Close(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(before, snapshot(t, path)); diff != "" {
				t.Errorf("directory changed (-before +after):\n%s", diff)
			}
		})
	}
}

// snapshot maps each file of path to its content; nil when path is missing.
func snapshot(t *testing.T, path string) map[string]string {
	t.Helper()
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	m := map[string]string{}
	for _, name := range files(t, path) {
		m[name] = string(readFile(t, filepath.Join(path, name)))
	}
	return m
}

// badReader yields content and then fails instead of returning io.EOF, as
// the copier's verifying reader does when the content is wrong.
type badReader struct{ r io.Reader }

func (b *badReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		return n, errdefs.ErrDigestMismatch
	}
	return n, err
}

func TestPutBlobKeepsNothingOnFailure(t *testing.T) {
	t.Parallel()
	content := []byte("some layer bytes")
	d := descFor(digest.FromBytes(content), content)
	tests := []struct {
		name    string
		desc    ocispec.Descriptor
		r       io.Reader
		wantErr error
	}{
		{"reader fails at end", d, &badReader{bytes.NewReader(content)}, errdefs.ErrDigestMismatch},
		{"too long", d, bytes.NewReader(append(content, 'x')), errdefs.ErrSizeMismatch},
		{"bad digest", ocispec.Descriptor{Digest: "sha256:../x", Size: 1}, bytes.NewReader(content), errdefs.ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := t.TempDir()
			dst, err := dir.OpenDestination(context.Background(), ref(path), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer dst.Close()
			if err := dst.PutBlob(context.Background(), tt.desc, tt.r); !errors.Is(err, tt.wantErr) {
				t.Fatalf("PutBlob: got %v, want %v", err, tt.wantErr)
			}
			if err := dst.Close(); err != nil {
				t.Fatal(err)
			}
			if got := files(t, path); len(got) != 0 {
				t.Errorf("files left after a failed PutBlob and Close: %v", got)
			}
		})
	}
}

func TestPutBlobStreamAndSignatures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := t.TempDir()
	dst, err := dir.OpenDestination(ctx, ref(path), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	img := testimage.New(testimage.Options{})
	var got []ocispec.Descriptor
	for _, d := range append([]ocispec.Descriptor{img.Config}, img.Layers...) {
		desc, err := dst.PutBlobStream(ctx, d.MediaType, bytes.NewReader(img.Blobs[d.Digest]))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, desc)
	}
	if diff := cmp.Diff(append([]ocispec.Descriptor{img.Config}, img.Layers...), got); diff != "" {
		t.Errorf("descriptors (-want +got):\n%s", diff)
	}
	if err := dst.PutManifest(ctx, img.Manifest, img.MediaType, nil); err != nil {
		t.Fatal(err)
	}
	sigs := [][]byte{[]byte("sig one"), []byte("sig two")}
	if err := dst.PutSignatures(ctx, sigs, nil); err != nil {
		t.Fatal(err)
	}
	if err := dst.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	src, err := dir.OpenSource(ctx, ref(path), nil)
	if err != nil {
		t.Fatal(err)
	}
	transporttest.AssertSame(t, img.Source(), src)
	gotSigs, err := src.Signatures(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sigs, gotSigs); diff != "" {
		t.Errorf("signatures (-want +got):\n%s", diff)
	}
	if b := readFile(t, filepath.Join(path, "signature-2")); string(b) != "sig two" {
		t.Errorf("signature-2: got %q", b)
	}
}

func TestSourceErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	base := t.TempDir()
	good := filepath.Join(base, "good")
	ix := testimage.NewIndex(false, amd64, arm64)
	write(t, good, ix)
	tampered := ix.Images[1].Digest
	p := filepath.Join(good, tampered.Encoded()+".manifest.json")
	writeFile(t, p, string(readFile(t, p))+" ")
	garbage := filepath.Join(base, "garbage")
	if err := os.Mkdir(garbage, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(garbage, "manifest.json"), "not json")
	file := filepath.Join(base, "file")
	writeFile(t, file, "x")

	t.Run("open", func(t *testing.T) {
		for _, tt := range []struct {
			path string
			want error
		}{
			{filepath.Join(base, "missing"), errdefs.ErrNotFound},
			{base, errdefs.ErrNotFound}, // a directory without manifest.json
			{file, errdefs.ErrInvalidArgument},
		} {
			if _, err := ref(tt.path).NewSource(ctx, nil); !errors.Is(err, tt.want) {
				t.Errorf("%s: got %v, want %v", tt.path, err, tt.want)
			}
		}
	})
	t.Run("garbage manifest", func(t *testing.T) {
		if _, _, err := open(t, garbage).Manifest(ctx, nil); !errors.Is(err, errdefs.ErrInvalidManifest) {
			t.Errorf("got %v, want %v", err, errdefs.ErrInvalidManifest)
		}
	})
	src := open(t, good)
	missing := digest.FromString("missing")
	for _, tt := range []struct {
		name     string
		instance digest.Digest
		want     error
	}{
		{"missing instance", missing, errdefs.ErrNotFound},
		{"tampered instance", tampered, errdefs.ErrDigestMismatch},
		{"top by digest", ix.Digest, nil},
		{"bad digest", "sha256:zz", errdefs.ErrInvalidArgument},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, mt, err := src.Manifest(ctx, &tt.instance)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if err == nil && (!bytes.Equal(b, ix.Manifest) || mt != manifest.MediaTypeOCIIndex) {
				t.Errorf("got %s %q, want the index", mt, b)
			}
		})
	}
	if _, err := src.Blob(ctx, descFor(missing, nil)); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("Blob(missing): got %v, want %v", err, errdefs.ErrNotFound)
	}
}
