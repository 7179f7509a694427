package manifest

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestChooseInstance(t *testing.T) {
	t.Parallel()
	entry := func(os, arch, variant string) ocispec.Descriptor {
		return ocispec.Descriptor{
			Digest:   digest.FromString(os + arch + variant),
			Platform: &ocispec.Platform{OS: os, Architecture: arch, Variant: variant},
		}
	}
	ix := &Index{Manifests: []ocispec.Descriptor{
		entry("linux", "amd64", ""),
		entry("linux", "arm", "v6"),
		entry("linux", "arm", "v7"),
		entry("linux", "arm64", "v8"),
		entry("windows", "amd64", ""),
		entry("unknown", "unknown", ""),
	}}
	tests := []struct {
		want Platform
		pick int // index into ix.Manifests, -1 for not found
	}{
		{Platform{"linux", "amd64", ""}, 0},
		{Platform{"linux", "arm64", ""}, 3},
		{Platform{"linux", "arm64", "v8"}, 3},
		{Platform{"linux", "arm", ""}, 2},
		{Platform{"linux", "arm", "v6"}, 1},
		{Platform{"windows", "amd64", ""}, 4},
		{Platform{"linux", "aarch64", ""}, 3},
		{Platform{"linux", "s390x", ""}, -1},
		{Platform{"linux", "arm", "v5"}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.want.String(), func(t *testing.T) {
			t.Parallel()
			got, err := ChooseInstance(ix, tt.want)
			if tt.pick < 0 {
				var ni *NoInstanceError
				if !errors.Is(err, errdefs.ErrNotFound) || !errors.As(err, &ni) {
					t.Fatalf("got %v, %v; want not found", got.Platform, err)
				}
				// skopeo's wording, which scripts match.
				if want := fmt.Sprintf("no image found in image index for architecture %s, variant %q, OS %s", tt.want.Architecture, tt.want.Variant, tt.want.OS); !strings.Contains(err.Error(), want) {
					t.Errorf("error %q, want it to contain %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Digest != ix.Manifests[tt.pick].Digest {
				t.Errorf("picked %+v, want %+v", got.Platform, ix.Manifests[tt.pick].Platform)
			}
		})
	}
}

func TestHostPlatformOverride(t *testing.T) {
	t.Parallel()
	p := HostPlatform(Platform{Architecture: "arm", Variant: "v7"})
	if p.OS != "linux" || p.Architecture != "arm" || p.Variant != "v7" {
		t.Errorf("got %s", p)
	}
	if _, err := ParsePlatform("linux"); err == nil {
		t.Error("ParsePlatform accepted a platform without architecture")
	}
	if q, err := ParsePlatform("linux/arm64/v8"); err != nil || q != (Platform{"linux", "arm64", "v8"}) {
		t.Errorf("ParsePlatform: %v, %v", q, err)
	}
}

func TestDetect(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`{"schemaVersion":2,"mediaType":"` + MediaTypeDockerManifest + `","config":{}}`: MediaTypeDockerManifest,
		`{"schemaVersion":2,"config":{},"layers":[]}`:                                   MediaTypeOCIManifest,
		`{"schemaVersion":2,"manifests":[]}`:                                            MediaTypeOCIIndex,
		`{"schemaVersion":1,"fsLayers":[]}`:                                             MediaTypeDockerSchema1,
		`{"schemaVersion":1,"fsLayers":[],"signatures":[{}]}`:                           MediaTypeDockerSchema1Sig,
		`not json`: "",
	} {
		if got := Detect([]byte(in)); got != want {
			t.Errorf("Detect(%s) = %q, want %q", in, got, want)
		}
	}
}

// signSchema1 builds a JWS-signed schema-1 manifest the way Docker's libtrust
// lays it out: the payload's closing brace is cut off, the signatures are
// spliced in, and the protected header records the cut (formatLength) and
// the text removed (formatTail). The signature value itself does not take
// part in the digest, so a placeholder stands in for it.
func signSchema1(payload string) string {
	cut := len(payload) - 2 // before the final "\n}"
	tail := payload[cut:]
	protected := fmt.Sprintf(`{"formatLength":%d,"formatTail":"%s","time":"2024-01-02T03:04:05Z"}`,
		cut, base64.RawURLEncoding.EncodeToString([]byte(tail)))
	return payload[:cut] + `,
   "signatures": [
      {
         "header": {"alg": "ES256"},
         "signature": "placeholder",
         "protected": "` + base64.RawURLEncoding.EncodeToString([]byte(protected)) + `"
      }
   ]
}`
}

func TestDigest(t *testing.T) {
	t.Parallel()
	payload := "{\n   \"schemaVersion\": 1,\n   \"name\": \"library/app\",\n   \"tag\": \"1\",\n   \"architecture\": \"amd64\",\n   \"fsLayers\": [],\n   \"history\": []\n}"
	signed := signSchema1(payload)
	got, err := Digest([]byte(signed))
	if err != nil {
		t.Fatal(err)
	}
	if want := digest.FromString(payload); got != want {
		t.Errorf("signed schema-1 digest %s, want the payload's %s", got, want)
	}
	plain := `{"schemaVersion":2,"mediaType":"` + MediaTypeOCIManifest + `","config":{"digest":"sha256:` + fmt.Sprintf("%064d", 0) + `"}}`
	if got, _ := Digest([]byte(plain)); got != digest.FromString(plain) {
		t.Errorf("schema-2 digest %s, want the bytes' digest", got)
	}
	broken := `{"schemaVersion":1,"signatures":[{"protected":"!!"}]}`
	if _, err := Digest([]byte(broken)); !errors.Is(err, errdefs.ErrInvalidManifest) {
		t.Errorf("broken signature header: got %v, want ErrInvalidManifest", err)
	}
}

func TestConvertImageRefusesZstdToDocker(t *testing.T) {
	t.Parallel()
	m := &Image{MediaType: MediaTypeOCIManifest,
		Config: ocispec.Descriptor{MediaType: MediaTypeOCIConfig},
		Layers: []ocispec.Descriptor{{MediaType: MediaTypeOCILayerZst}}}
	m.SchemaVersion = 2
	if _, err := ConvertImage(m, MediaTypeDockerManifest); !errors.Is(err, errdefs.ErrNotSupported) {
		t.Errorf("got %v, want ErrNotSupported", err)
	}
	if _, err := ConvertImage(m, MediaTypeOCIManifest); err != nil {
		t.Errorf("OCI to OCI: %v", err)
	}
}

// TestConvertSerialisesAsSkopeo: the bytes skopeo writes for the same
// conversions (taken from Debian's skopeo 1.9.3; copier's differential
// test checks them against a live skopeo).
func TestConvertSerialisesAsSkopeo(t *testing.T) {
	t.Parallel()
	d := func(mt, hex string, size int64) ocispec.Descriptor {
		return ocispec.Descriptor{MediaType: mt, Digest: digest.Digest("sha256:" + hex), Size: size}
	}
	oci := &Image{MediaType: MediaTypeOCIManifest, Config: d(MediaTypeOCIConfig, "c", 2),
		Layers: []ocispec.Descriptor{d(MediaTypeOCILayerGz, "a", 3)}, Annotations: map[string]string{"k": "v"}}
	oci.SchemaVersion = 2
	got, err := ConvertImage(oci, MediaTypeDockerManifest)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",` +
		`"config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":2,"digest":"sha256:c"},` +
		`"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":3,"digest":"sha256:a"}]}`
	if string(got) != want {
		t.Errorf("to Docker:\n got %s\nwant %s", got, want)
	}
	docker, err := ParseImage(got)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ConvertImage(docker, MediaTypeOCIManifest)
	if err != nil {
		t.Fatal(err)
	}
	want = `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",` +
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:c","size":2},` +
		`"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:a","size":3}]}`
	if string(back) != want {
		t.Errorf("back to OCI:\n got %s\nwant %s", back, want)
	}

	cfg := `{"architecture":"amd64","config":{"Hostname":"h","Env":["A=1"],"Labels":{"a":"<"},"ArgsEscaped":true,"Healthcheck":{"Test":["x"]}},` +
		`"container":"c","container_config":{"Cmd":["x"]},"created":"2023-05-19T20:19:24.200000000Z","docker_version":"20",` +
		`"history":[{"created_by":"x","empty_layer":true}],"os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:a"]}}`
	gotCfg, err := ConvertConfig([]byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	wantCfg := `{"created":"2023-05-19T20:19:24.2Z","architecture":"amd64","os":"linux",` +
		`"config":{"Env":["A=1"],"Labels":{"a":"\u003c"},"ArgsEscaped":true},"rootfs":{"type":"layers","diff_ids":["sha256:a"]},` +
		`"history":[{"created_by":"x","empty_layer":true}]}`
	if string(gotCfg) != wantCfg {
		t.Errorf("config:\n got %s\nwant %s", gotCfg, wantCfg)
	}
	if _, err := ConvertConfig([]byte(`{"created":"yesterday"}`)); !errors.Is(err, errdefs.ErrInvalidManifest) {
		t.Errorf("bad config: %v, want ErrInvalidManifest", err)
	}
}
