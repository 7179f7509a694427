package inspect_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/inspect"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/manifest"
	"github.com/google/go-cmp/cmp"
)

var (
	amd64 = manifest.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = manifest.Platform{OS: "linux", Architecture: "arm64"}
	armv7 = manifest.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
)

// describe runs Fetch, Instance and Output on src for platform p.
func describe(t *testing.T, src *testimage.Source, p manifest.Platform) (*inspect.Image, *inspect.Instance, *inspect.Output) {
	t.Helper()
	ctx := context.Background()
	img, err := inspect.Fetch(ctx, src)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	in, err := img.Instance(ctx, p)
	if err != nil {
		t.Fatalf("Instance: %v", err)
	}
	out, err := in.Output(ctx)
	if err != nil {
		t.Fatalf("Output: %v", err)
	}
	return img, in, out
}

func layerDigests(img *testimage.Image) []string {
	var out []string
	for _, l := range img.Layers {
		out = append(out, l.Digest.String())
	}
	return out
}

func TestOutputSingleImage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts testimage.Options
	}{
		{"oci", testimage.Options{Labels: map[string]string{"org.example": "yes"}}},
		{"docker", testimage.Options{Docker: true, Seed: 7, Platform: arm64}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			img := testimage.New(tc.opts)
			raw, _, out := describe(t, img.Source(), img.Platform)
			if !equalBytes(raw.Raw, img.Manifest) || raw.MediaType != img.MediaType || raw.Digest != img.Digest {
				t.Errorf("Fetch = %q %s, want the manifest as stored (%s %s)", raw.Digest, raw.MediaType, img.Digest, img.MediaType)
			}
			var data []inspect.Layer
			for _, l := range img.Layers {
				data = append(data, inspect.Layer{MIMEType: l.MediaType, Digest: l.Digest, Size: l.Size})
			}
			created := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
			want := &inspect.Output{
				Digest:       img.Digest,
				RepoTags:     []string{},
				Created:      &created,
				Labels:       tc.opts.Labels,
				Architecture: img.Platform.Architecture,
				Os:           img.Platform.OS,
				Layers:       layerDigests(img),
				LayersData:   data,
				Env:          []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			}
			if diff := cmp.Diff(want, out); diff != "" {
				t.Errorf("Output (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInstanceChoosesPlatform(t *testing.T) {
	t.Parallel()
	for _, docker := range []bool{false, true} {
		ix := testimage.NewIndex(docker, amd64, arm64, armv7)
		for _, tc := range []struct {
			want     manifest.Platform
			override manifest.Platform
			instance int
		}{
			{amd64, manifest.Platform{OS: "linux", Architecture: "amd64"}, 0},
			{arm64, manifest.Platform{Architecture: "arm64"}, 1},
			{arm64, manifest.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, 1},
			{armv7, manifest.Platform{Architecture: "arm", Variant: "v7"}, 2},
		} {
			t.Run(ix.MediaType+"/"+tc.want.String(), func(t *testing.T) {
				t.Parallel()
				_, in, out := describe(t, ix.Source(), tc.override)
				img := ix.Images[tc.instance]
				if in.Digest != img.Digest || in.MediaType != img.MediaType {
					t.Errorf("instance = %s %s, want %s %s", in.Digest, in.MediaType, img.Digest, img.MediaType)
				}
				if out.Digest != ix.Digest {
					t.Errorf("Output.Digest = %s, want the index's digest %s", out.Digest, ix.Digest)
				}
				if out.Architecture != tc.want.Architecture || out.Variant != tc.want.Variant || out.Os != tc.want.OS {
					t.Errorf("platform = %s/%s/%s, want %s", out.Os, out.Architecture, out.Variant, tc.want)
				}
				if diff := cmp.Diff(layerDigests(img), out.Layers); diff != "" {
					t.Errorf("Layers (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestInstanceErrors(t *testing.T) {
	t.Parallel()
	ix := testimage.NewIndex(false, amd64, arm64)
	// A source whose instance bytes do not match the index: a fault a
	// well-behaved registry cannot be made to produce.
	tampered := ix.Source()
	tampered.Manifests[ix.Images[0].Digest] = ix.Images[1].Manifest
	missing := ix.Source()
	delete(missing.Manifests, ix.Images[1].Digest)
	for _, tc := range []struct {
		name string
		src  *testimage.Source
		p    manifest.Platform
		want error
	}{
		{"no such platform", ix.Source(), manifest.Platform{OS: "linux", Architecture: "s390x"}, errdefs.ErrNotFound},
		{"instance bytes do not match the index", tampered, amd64, errdefs.ErrDigestMismatch},
		{"instance missing", missing, arm64, errdefs.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			img, err := inspect.Fetch(context.Background(), tc.src)
			if err != nil {
				t.Fatal(err)
			}
			_, err = img.Instance(context.Background(), tc.p)
			if !errors.Is(err, tc.want) {
				t.Errorf("Instance(%s) error = %v, want %v", tc.p, err, tc.want)
			}
		})
	}
}

func TestSchema1(t *testing.T) {
	t.Parallel()
	s1 := testimage.NewSchema1("library/app", "v1", 3)
	src := &testimage.Source{Top: s1.Manifest, TopType: manifest.MediaTypeDockerSchema1Sig}
	img, in, out := describe(t, src, manifest.Platform{})
	if img.Digest != s1.Digest {
		t.Errorf("Digest = %s, want %s (payload without signatures)", img.Digest, s1.Digest)
	}
	if out.Tag != "v1" || out.Architecture != "amd64" || out.Os != "linux" || out.DockerVersion != "1.13.1" {
		t.Errorf("Tag, Architecture, Os, DockerVersion = %q %q %q %q, want v1 amd64 linux 1.13.1", out.Tag, out.Architecture, out.Os, out.DockerVersion)
	}
	// fsLayers lists the newest layer first; inspect shows the base first.
	var want []string
	var data []inspect.Layer
	for i := len(s1.FSLayers) - 1; i >= 0; i-- {
		want = append(want, s1.FSLayers[i].String())
		data = append(data, inspect.Layer{Digest: s1.FSLayers[i], Size: -1})
	}
	if diff := cmp.Diff(want, out.Layers); diff != "" {
		t.Errorf("Layers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(data, out.LayersData); diff != "" {
		t.Errorf("LayersData (-want +got):\n%s", diff)
	}
	if out.Labels["schema"] != "1" || len(out.Env) != 1 {
		t.Errorf("Labels, Env = %v %v, want those of history[0]", out.Labels, out.Env)
	}
	if b, err := in.ConfigBlob(context.Background()); err != nil || b != nil {
		t.Errorf("ConfigBlob = %q, %v; want nil, nil (schema 1 has no config blob)", b, err)
	}
	cfg, err := in.OCIConfig(context.Background())
	if err != nil || cfg.Architecture != "amd64" || cfg.Config.Labels["schema"] != "1" {
		t.Errorf("OCIConfig = %+v, %v; want the history[0] config", cfg, err)
	}
}

// TestJSONShape checks skopeo's field names and order, and which fields
// are omitted when empty.
func TestJSONShape(t *testing.T) {
	t.Parallel()
	s1 := testimage.NewSchema1("library/app", "v1", 1)
	for _, tc := range []struct {
		name string
		src  *testimage.Source
		keys string
	}{
		{"schema2", testimage.New(testimage.Options{}).Source(), "Digest RepoTags Created DockerVersion Labels Architecture Os Layers LayersData Env"},
		{"schema1", &testimage.Source{Top: s1.Manifest, TopType: manifest.MediaTypeDockerSchema1Sig}, "Tag Digest RepoTags Created DockerVersion Labels Architecture Os Layers LayersData Env"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, out := describe(t, tc.src, amd64)
			out.Name = "" // set by Describe from the reference
			if got := strings.Join(jsonKeys(t, out), " "); got != tc.keys {
				t.Errorf("keys = %s\nwant   %s", got, tc.keys)
			}
			out.Name = "localhost/app"
			if got := jsonKeys(t, out)[0]; got != "Name" {
				t.Errorf("first key = %s, want Name", got)
			}
			b, _ := json.Marshal(out.LayersData[0])
			if got, want := strings.Join(jsonKeys(t, json.RawMessage(b)), " "), "MIMEType Digest Size Annotations"; got != want {
				t.Errorf("LayersData keys = %s, want %s", got, want)
			}
		})
	}
}

// jsonKeys returns the top-level keys of v's JSON in order.
func jsonKeys(t *testing.T, v any) []string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestConfig(t *testing.T) {
	t.Parallel()
	img := testimage.New(testimage.Options{Labels: map[string]string{"a": "b"}})
	corrupt := img.Source()
	corrupt.Corrupt = img.Config.Digest
	for _, tc := range []struct {
		name string
		src  *testimage.Source
		want error
	}{
		{"ok", img.Source(), nil},
		{"corrupt config", corrupt, errdefs.ErrDigestMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			top, err := inspect.Fetch(ctx, tc.src)
			if err != nil {
				t.Fatal(err)
			}
			in, err := top.Instance(ctx, amd64)
			if err != nil {
				t.Fatal(err)
			}
			b, err := in.ConfigBlob(ctx)
			if !errors.Is(err, tc.want) {
				t.Fatalf("ConfigBlob error = %v, want %v", err, tc.want)
			}
			if tc.want != nil {
				return
			}
			if !equalBytes(b, img.Blobs[img.Config.Digest]) {
				t.Errorf("ConfigBlob = %s, want the stored bytes", b)
			}
			cfg, err := in.OCIConfig(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Config.Labels["a"] != "b" || len(cfg.RootFS.DiffIDs) != len(img.Layers) {
				t.Errorf("OCIConfig = %+v, want labels and diff IDs of the config", cfg)
			}
		})
	}
}

func equalBytes(a, b []byte) bool { return string(a) == string(b) }
