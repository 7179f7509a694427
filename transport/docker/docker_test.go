package docker_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/registry/auth"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/docker"
	"github.com/ferrytool/ferry/transport/layout"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

var (
	linuxAMD64 = manifest.Platform{OS: "linux", Architecture: "amd64"}
	linuxARM64 = manifest.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
	bob        = &testregistry.Creds{Username: "bob", Password: "pa55-w0rd"}
)

// TestRoundTrip writes images and indexes through the Destination and reads
// them back through the Source, in several registry setups.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	setups := []struct {
		name string
		reg  testregistry.Options
		auth auth.Settings
	}{
		{"anonymous", testregistry.Options{}, auth.Settings{NoCreds: true}},
		{"tls-basic", testregistry.Options{TLS: true, Basic: bob}, auth.Settings{Username: bob.Username, Password: bob.Password}},
		{"token", testregistry.Options{Token: true, Basic: bob}, auth.Settings{Username: bob.Username, Password: bob.Password}},
	}
	for _, s := range setups {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			reg := testregistry.New(t, s.reg)
			o := opts(reg)
			o.Auth = s.auth
			ctx := context.Background()
			for _, docker := range []bool{false, true} {
				img := testimage.New(testimage.Options{Docker: docker, Seed: 41})
				src, dst := open(t, ref(t, reg, fmt.Sprintf("img/docker-%v:1", docker)), o)
				if err := img.Write(ctx, dst); err != nil {
					t.Fatalf("write image (docker=%v): %v", docker, err)
				}
				checkImage(t, src, img, false)

				ix := testimage.NewIndex(docker, linuxAMD64, linuxARM64)
				src, dst = open(t, ref(t, reg, fmt.Sprintf("index/docker-%v:multi", docker)), o)
				if err := ix.Write(ctx, dst); err != nil {
					t.Fatalf("write index (docker=%v): %v", docker, err)
				}
				b, mt, err := src.Manifest(ctx, nil)
				if err != nil || !bytes.Equal(b, ix.Manifest) || mt != ix.MediaType {
					t.Fatalf("index manifest: type %q, err %v", mt, err)
				}
				for _, img := range ix.Images {
					checkImage(t, src, img, true)
				}
			}
		})
	}
}

// TestDigestedReference writes and reads an image named by digest, and
// refuses a manifest that does not match the digest named.
func TestDigestedReference(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{})
	img := testimage.New(testimage.Options{Seed: 42})
	src, dst := open(t, ref(t, reg, "app@"+img.Digest.String()), opts(reg))
	if err := img.Write(context.Background(), dst); err != nil {
		t.Fatal(err)
	}
	checkImage(t, src, img, false)

	other := testimage.New(testimage.Options{Seed: 43})
	_, dst = open(t, ref(t, reg, "app@"+img.Digest.String()), opts(reg))
	if err := other.Write(context.Background(), dst); !errors.Is(err, errdefs.ErrDigestMismatch) {
		t.Fatalf("writing another manifest to a digested name: got %v, want ErrDigestMismatch", err)
	}
}

// TestCapabilities pins what the copier is told.
func TestCapabilities(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{})
	_, dst := open(t, ref(t, reg, "app:1"), opts(reg))
	got := dst.Capabilities()
	if len(got.ManifestTypes) != 0 || !got.KeepsDigests || got.NoIndex || got.SerialBlobs || got.WantsUncompressed {
		t.Fatalf("Capabilities: got %+v, want any manifest type, digests kept", got)
	}
}

// TestMountBlob counts requests: a blob mounted from another repository of
// the same registry sends no blob bytes; other sources are declined.
func TestMountBlob(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{Token: true, Basic: bob})
	other := testregistry.New(t, testregistry.Options{})
	img := testimage.New(testimage.Options{Seed: 44})
	reg.Push(t, "library/base", "1", img)
	o := opts(reg)
	o.Auth = auth.Settings{Username: bob.Username, Password: bob.Password}
	_, dst := open(t, ref(t, reg, "team/derived:1"), o)
	m := dst.(transport.BlobMounter)
	ctx := context.Background()
	reg.ResetRequests()
	from := ref(t, reg, "library/base:1")
	for _, d := range append([]ocispec.Descriptor{img.Config}, img.Layers...) {
		ok, err := m.MountBlob(ctx, d, from)
		if err != nil || !ok {
			t.Fatalf("MountBlob %s: %v, %v", d.Digest, ok, err)
		}
	}
	if err := dst.PutManifest(ctx, img.Manifest, img.MediaType, nil); err != nil {
		t.Fatalf("PutManifest after mounting: %v", err)
	}
	var uploaded int64
	mounts := 0
	for _, r := range reg.Requests() {
		if r.Method == http.MethodPatch || (r.Method == http.MethodPut && strings.Contains(r.Path, "/blobs/")) {
			uploaded += r.BodyBytes
		}
		if r.Method == http.MethodPost && strings.Contains(r.RawQuery, "mount=") && r.Status == http.StatusCreated {
			mounts++
		}
	}
	if uploaded != 0 || mounts != 3 {
		t.Fatalf("mount: %d blob bytes uploaded and %d mounts, want 0 and 3", uploaded, mounts)
	}

	oci, err := layout.Transport.ParseReference(t.TempDir() + ":x")
	if err != nil {
		t.Fatal(err)
	}
	for name, from := range map[string]transport.Reference{
		"other registry": ref(t, other, "library/base:1"),
		"same repo":      ref(t, reg, "team/derived:2"),
		"oci layout":     oci,
		"nil":            nil,
	} {
		ok, err := m.MountBlob(ctx, img.Layers[0], from)
		if ok || err != nil {
			t.Errorf("MountBlob from %s: got %v, %v; want false, nil", name, ok, err)
		}
	}
}

// TestStreamingDestination stores a blob of unknown digest.
func TestStreamingDestination(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{})
	_, dst := open(t, ref(t, reg, "app:1"), opts(reg))
	content := bytes.Repeat([]byte("ferry "), 300000)
	d, err := dst.(transport.StreamingDestination).PutBlobStream(context.Background(), manifest.MediaTypeOCILayer, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	if d.Digest != digest.FromBytes(content) || d.Size != int64(len(content)) || d.MediaType != manifest.MediaTypeOCILayer {
		t.Fatalf("got %+v", d)
	}
	if ok, err := dst.HasBlob(context.Background(), d); !ok || err != nil {
		t.Fatalf("HasBlob after PutBlobStream: %v, %v", ok, err)
	}
}

// TestDelete covers DeleteImage (by tag and by digest), UntagImage, and a
// registry that does not allow deletes.
func TestDelete(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{Token: true})
	img := testimage.New(testimage.Options{Seed: 45})
	reg.Push(t, "app", "1", img)
	reg.PutManifest(t, "app", "2", img.Manifest, img.MediaType)
	reg.PutManifest(t, "app", "3", img.Manifest, img.MediaType)
	ctx := context.Background()
	o := opts(reg)

	if err := docker.UntagImage(ctx, with(t, o, ref(t, reg, "app:3")), nil); err != nil {
		t.Fatalf("UntagImage: %v", err)
	}
	if _, _, ok := reg.Manifest(t, "app", "3"); ok {
		t.Fatal("tag 3 survived UntagImage")
	}
	if _, _, ok := reg.Manifest(t, "app", "2"); !ok {
		t.Fatal("UntagImage removed another tag")
	}
	if err := with(t, o, ref(t, reg, "app:1")).DeleteImage(ctx, nil); err != nil {
		t.Fatalf("DeleteImage by tag: %v", err)
	}
	for _, r := range []string{"1", "2", img.Digest.String()} {
		if _, _, ok := reg.Manifest(t, "app", r); ok {
			t.Errorf("%s survived DeleteImage", r)
		}
	}
	err := with(t, o, ref(t, reg, "app:1")).DeleteImage(ctx, nil)
	if !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("deleting again: got %v, want ErrNotFound", err)
	}

	reg.Push(t, "app", "4", img)
	if err := with(t, o, ref(t, reg, "app@"+img.Digest.String())).DeleteImage(ctx, nil); err != nil {
		t.Fatalf("DeleteImage by digest: %v", err)
	}
	if _, _, ok := reg.Manifest(t, "app", "4"); ok {
		t.Error("tag 4 survived DeleteImage by digest")
	}

	ro := testregistry.New(t, testregistry.Options{NoDelete: true})
	ro.Push(t, "app", "1", img)
	err = docker.UntagImage(ctx, with(t, opts(ro), ref(t, ro, "app:1")), nil)
	if !errors.Is(err, errdefs.ErrNotSupported) || !strings.Contains(err.Error(), "delete the image by digest") {
		t.Fatalf("UntagImage with deletes disabled: got %v, want ErrNotSupported with advice", err)
	}
	if err := docker.UntagImage(ctx, with(t, opts(ro), ref(t, ro, "app@"+img.Digest.String())), nil); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("UntagImage of a digest: got %v, want ErrInvalidArgument", err)
	}
}

// TestListTags lists a repository's tags across pages.
func TestListTags(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{Basic: bob})
	img := testimage.New(testimage.Options{})
	reg.Push(t, "app", "latest", img)
	want := []string{"latest"}
	for i := 0; i < 30; i++ {
		tag := fmt.Sprintf("v%02d", i)
		reg.PutManifest(t, "app", tag, img.Manifest, img.MediaType)
		want = append(want, tag)
	}
	slices.Sort(want)
	n, err := reference.ParseRepository(reg.Host() + "/app")
	if err != nil {
		t.Fatal(err)
	}
	o := opts(reg)
	o.Auth = auth.Settings{Username: bob.Username, Password: bob.Password}
	got, err := repoRef(t, o, n).ListTags(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestErrors checks the sentences users see, and their kinds.
func TestErrors(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{Basic: bob})
	reg.Push(t, "app", "1", testimage.New(testimage.Options{}))
	ctx := context.Background()
	wrong := opts(reg)
	wrong.Auth = auth.Settings{Username: "bob", Password: "not-the-password"}
	right := opts(reg)
	right.Auth = auth.Settings{Username: bob.Username, Password: bob.Password}
	tests := []struct {
		name string
		ref  string
		o    *docker.Config
		kind error
		want string
	}{
		{"wrong-password", "app:1", wrong, errdefs.ErrUnauthorized, reg.Host() + "/app:1: invalid username or password"},
		{"no-credentials", "app:1", opts(reg), errdefs.ErrUnauthorized, reg.Host() + "/app:1: authentication required"},
		{"missing-tag", "app:missing", right, errdefs.ErrNotFound, reg.Host() + "/app:missing: manifest unknown"},
		{"missing-repo", "nothing:1", right, errdefs.ErrNotFound, reg.Host() + "/nothing:1: "},
	}
	for _, tt := range tests {
		src, err := with(t, tt.o, ref(t, reg, tt.ref)).NewSource(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = src.Manifest(ctx, nil)
		src.Close()
		if !errors.Is(err, tt.kind) || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%s: got %q, want %v starting %q", tt.name, err, tt.kind, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "not-the-password") {
			t.Errorf("%s: the password is in the error", tt.name)
		}
	}
}
