package ociarchive_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/archive/tartest"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// layoutMembers lays img out as an OCI layout, blobs first, with the
// given index.json entries (the image itself, named "v1", when nil).
func layoutMembers(t *testing.T, img *testimage.Image, entries []ocispec.Descriptor) (blobs []tartest.Member, index tartest.Member) {
	t.Helper()
	for _, d := range append([]ocispec.Descriptor{img.Config}, img.Layers...) {
		blobs = append(blobs, tartest.File("blobs/sha256/"+d.Digest.Encoded(), img.Blobs[d.Digest]))
	}
	blobs = append(blobs, tartest.File("blobs/sha256/"+img.Digest.Encoded(), img.Manifest))
	if entries == nil {
		d := img.Descriptor()
		d.Platform = nil
		d.Annotations = map[string]string{ocispec.AnnotationRefName: "v1"}
		entries = []ocispec.Descriptor{d}
	}
	ix := ocispec.Index{Manifests: entries}
	ix.SchemaVersion = 2
	ib, _ := json.Marshal(ix)
	return blobs, tartest.File("index.json", ib)
}

func layoutTar(t *testing.T, members ...tartest.Member) []byte {
	t.Helper()
	return tartest.Tar(t, append([]tartest.Member{tartest.File("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`))}, members...)...)
}

// readBoth reads b as a file and as a stream and returns both errors.
func readBoth(t *testing.T, b []byte, ref string) (fileErr, streamErr error) {
	t.Helper()
	ctx := context.Background()
	path := tartest.WriteFile(t, "a.tar", b)
	if src, err := parse(t, path+ref).NewSource(ctx, nil); err != nil {
		fileErr = err
	} else {
		_, fileErr = collect(t, src, false)
		src.Close()
	}
	src, err := parse(t, "-"+ref).NewSource(ctx, &transport.Options{Stdin: bytes.NewReader(b), TmpDir: t.TempDir()})
	if err != nil {
		return fileErr, err
	}
	defer src.Close()
	_, streamErr = collect(t, src, true)
	return fileErr, streamErr
}

func TestHostileArchives(t *testing.T) {
	t.Parallel()
	img := testimage.New(testimage.Options{Seed: 3, LayerSizes: []int{160 << 10, 10}})
	other := testimage.New(testimage.Options{Seed: 4})
	big, small := img.Layers[0].Digest, img.Layers[1].Digest
	corrupt := func(d digest.Digest) []byte {
		blobs, ix := layoutMembers(t, img, nil)
		for i, m := range blobs {
			if m.Name == "blobs/sha256/"+d.Encoded() {
				b := bytes.Clone(m.Body)
				b[len(b)/2] ^= 0xff
				blobs[i] = tartest.File(m.Name, b)
			}
		}
		return layoutTar(t, append(blobs, ix)...)
	}
	without := func(d digest.Digest) []byte {
		blobs, ix := layoutMembers(t, img, nil)
		var kept []tartest.Member
		for _, m := range blobs {
			if m.Name != "blobs/sha256/"+d.Encoded() {
				kept = append(kept, m)
			}
		}
		return layoutTar(t, append(kept, ix)...)
	}
	blobs, ix := layoutMembers(t, img, nil)
	good := layoutTar(t, append(blobs, ix)...)
	two := func() []byte {
		b1, _ := layoutMembers(t, img, nil)
		b2, _ := layoutMembers(t, other, nil)
		_, ix := layoutMembers(t, img, []ocispec.Descriptor{img.Descriptor(), other.Descriptor()})
		return layoutTar(t, append(append(b1, b2...), ix)...)
	}()
	for _, tc := range []struct {
		name               string
		b                  []byte
		ref                string
		fileErr, streamErr error
	}{
		{name: "no index.json", b: layoutTar(t, blobs...), fileErr: errdefs.ErrInvalidArchive},
		{name: "index.json not JSON", b: layoutTar(t, append(blobs, tartest.File("index.json", []byte("[")))...), fileErr: errdefs.ErrInvalidArchive},
		{name: "layout version 2", b: tartest.Tar(t, append([]tartest.Member{tartest.File("oci-layout", []byte(`{"imageLayoutVersion":"2.0.0"}`))}, append(blobs, ix)...)...), fileErr: errdefs.ErrNotSupported},
		{name: "manifest missing", b: without(img.Digest), fileErr: errdefs.ErrInvalidArchive},
		{name: "manifest corrupt", b: corrupt(img.Digest), fileErr: errdefs.ErrDigestMismatch},
		{name: "config corrupt", b: corrupt(img.Config.Digest), fileErr: errdefs.ErrDigestMismatch},
		{name: "large layer corrupt", b: corrupt(big), fileErr: errdefs.ErrDigestMismatch},
		{name: "small layer corrupt", b: corrupt(small), fileErr: errdefs.ErrDigestMismatch},
		{name: "layer missing", b: without(big), fileErr: errdefs.ErrNotFound, streamErr: errdefs.ErrInvalidArchive},
		{name: "truncated", b: good[:len(good)/2], fileErr: errdefs.ErrInvalidArchive},
		{name: "dot-dot member", b: layoutTar(t, append(blobs, tartest.File("blobs/../../evil", nil), ix)...), fileErr: errdefs.ErrInvalidArchive},
		{name: "blob symlink pointing out", b: layoutTar(t, append(append(blobs[1:], tartest.Symlink(blobs[0].Name, "../../../etc/passwd")), ix)...), fileErr: errdefs.ErrInvalidArchive},
		{name: "unknown ref", b: good, ref: ":v2", fileErr: errdefs.ErrNotFound},
		{name: "two images, no ref", b: two, fileErr: errdefs.ErrInvalidReference},
		{name: "@2 of two", b: two, ref: ":@2", fileErr: errdefs.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.streamErr == nil {
				tc.streamErr = tc.fileErr
			}
			ferr, serr := readBoth(t, tc.b, tc.ref)
			t.Logf("file: %v\nstream: %v", ferr, serr)
			if !errors.Is(ferr, tc.fileErr) {
				t.Errorf("file: %v, want %v", ferr, tc.fileErr)
			}
			if !errors.Is(serr, tc.streamErr) {
				t.Errorf("stream: %v, want %v", serr, tc.streamErr)
			}
		})
	}
	// Both images of a two-image archive can be picked.
	for _, ref := range []string{":@0", ":@1"} {
		if ferr, serr := readBoth(t, two, ref); ferr != nil || serr != nil {
			t.Errorf("%s: file %v, stream %v", ref, ferr, serr)
		}
	}
}
