package ociarchive_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/archive"
	"github.com/ferrytool/ferry/internal/archive/tartest"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/transport"
	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestRoundTrip writes images and indexes and reads them back every way
// an oci-archive can arrive; manifests come back byte for byte.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for name, img := range map[string]testImage{
		"oci image":    testimage.New(testimage.Options{Seed: 1, LayerSizes: []int{160 << 10, 10}}),
		"docker image": testimage.New(testimage.Options{Seed: 2, Docker: true}),
		"oci index":    testimage.NewIndex(false, amd64, arm64),
		"docker list":  testimage.NewIndex(true, amd64, arm64),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "img.tar")
			write(t, path+":v1", img, nil)
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			gz := tartest.WriteFile(t, "img.tar.gz", tartest.Gzip(t, raw))
			tmp := t.TempDir()
			for _, rc := range []struct {
				name   string
				ref    string
				stdin  []byte
				stream bool
			}{
				{name: "file", ref: path + ":v1"},
				{name: "file, only image", ref: path},
				{name: "file @0", ref: path + ":@0"},
				{name: "gzip file streamed", ref: gz, stream: true},
				{name: "gzip file spooled", ref: gz + ":v1"},
				{name: "stdin streamed", ref: "-:v1", stdin: raw, stream: true},
				{name: "stdin spooled", ref: "-", stdin: raw},
			} {
				src, err := parse(t, rc.ref).NewSource(context.Background(), &transport.Options{Stdin: bytes.NewReader(rc.stdin), TmpDir: tmp})
				if err != nil {
					t.Fatalf("%s: %v", rc.name, err)
				}
				got, err := collect(t, src, rc.stream)
				src.Close()
				if err != nil {
					t.Errorf("%s: %v", rc.name, err)
					continue
				}
				if diff := cmp.Diff(want(img), got); diff != "" {
					t.Errorf("%s: (-want +got):\n%s", rc.name, diff)
				}
				if left := tartest.Listing(t, tmp); len(left) != 0 {
					t.Errorf("%s: left in TmpDir: %v", rc.name, left)
				}
			}
		})
	}
}

// TestArchiveLayout: oci-layout first, blobs, index.json last naming the
// image by its reference name (image-layout.md, annotations.md).
func TestArchiveLayout(t *testing.T) {
	t.Parallel()
	img := testimage.New(testimage.Options{})
	var out bytes.Buffer
	write(t, "-:example.com/app:1", img, &transport.Options{Stdout: &out})
	a, err := archive.Index(context.Background(), bytes.NewReader(out.Bytes()), int64(out.Len()), nil)
	if err != nil {
		t.Fatal(err)
	}
	var ix ocispec.Index
	ib, err := a.ReadFile("index.json", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(ib, &ix)
	want := []ocispec.Descriptor{{
		MediaType: img.MediaType, Digest: img.Digest, Size: int64(len(img.Manifest)),
		Annotations: map[string]string{ocispec.AnnotationRefName: "example.com/app:1"},
	}}
	if diff := cmp.Diff(want, ix.Manifests); diff != "" {
		t.Errorf("index.json manifests (-want +got):\n%s", diff)
	}
	if lb, err := a.ReadFile("oci-layout", 100); err != nil || string(lb) != `{"imageLayoutVersion": "1.0.0"}` {
		t.Errorf("oci-layout: %s, %v", lb, err)
	}
	// Member order: oci-layout first, index.json last.
	order := orderOf(t, out.Bytes())
	if order[0] != "oci-layout" || order[len(order)-1] != "index.json" {
		t.Errorf("member order %v: want oci-layout first and index.json last", order)
	}
}

func TestDestinationDiscards(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	img := testimage.New(testimage.Options{})
	for _, tc := range []struct {
		name string
		run  func(transport.Destination) error
	}{
		{"close without commit", func(dst transport.Destination) error {
			return dst.PutBlob(ctx, img.Config, bytes.NewReader(img.Blobs[img.Config.Digest]))
		}},
		{"short blob", func(dst transport.Destination) error {
			l := img.Layers[0]
			return dst.PutBlob(ctx, l, bytes.NewReader(img.Blobs[l.Digest][:10]))
		}},
		{"commit without manifest", func(dst transport.Destination) error { return dst.Commit(ctx) }},
		{"instance with a wrong digest", func(dst transport.Destination) error {
			d := digest.FromString("other")
			return dst.PutManifest(ctx, img.Manifest, img.MediaType, &d)
		}},
	} {
		dir := t.TempDir()
		path := filepath.Join(dir, "a.tar")
		os.WriteFile(path, []byte("previous"), 0o644)
		dst, err := parse(t, path+":x").NewDestination(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = tc.run(dst)
		dst.Close()
		if tc.name != "close without commit" && err == nil {
			t.Errorf("%s: no error", tc.name)
		}
		if got, _ := os.ReadFile(path); string(got) != "previous" {
			t.Errorf("%s: the old archive was changed", tc.name)
		}
		if diff := cmp.Diff([]string{"a.tar"}, tartest.Listing(t, dir)); diff != "" {
			t.Errorf("%s: files (-want +got):\n%s", tc.name, diff)
		}
	}
	if _, err := parse(t, "x.tar:@1").NewDestination(ctx, nil); !errors.Is(err, errdefs.ErrInvalidReference) {
		t.Errorf("destination @1: %v, want ErrInvalidReference", err)
	}
}

// orderOf lists the regular files of a tar in order.
func orderOf(t *testing.T, b []byte) []string {
	t.Helper()
	var out []string
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			out = append(out, h.Name)
		}
	}
}
