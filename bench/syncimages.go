//go:build linux

package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// The sync scenarios mirror syncRepos repositories of syncTags tags each:
// 100 small images of two layers, the shape of a team's mirror of base
// images, where per-request latency, not bandwidth, decides the time.
const (
	syncRepos  = 10
	syncTags   = 10
	syncImages = syncRepos * syncTags
)

// smallImage is one generated sync image: its blobs and manifest.
type smallImage struct {
	repo, tag string
	blobs     [][]byte // config first, then the layers
	manifest  []byte
}

// syncRepo names the i-th source repository.
func syncRepo(i int) string { return fmt.Sprintf("sync/r%02d", i) }

// genSmallImages builds the sync images, deterministically: two gzipped
// layer tars (a 4 KiB and a 16 KiB file of random bytes) and a config
// whose diff IDs match them, in OCI form.
func genSmallImages() []smallImage {
	rng := rand.New(rand.NewPCG(7, 11))
	var out []smallImage
	for r := range syncRepos {
		for t := range syncTags {
			img := smallImage{repo: syncRepo(r), tag: fmt.Sprintf("1.%d.0", t)}
			var layers []ocispec.Descriptor
			var diffIDs []digest.Digest
			for _, size := range []int{4 << 10, 16 << 10} {
				tarball, gz := layerTar(rng, size)
				diffIDs = append(diffIDs, digest.FromBytes(tarball))
				layers = append(layers, ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: digest.FromBytes(gz), Size: int64(len(gz))})
				img.blobs = append(img.blobs, gz)
			}
			cfg, _ := json.Marshal(map[string]any{
				"architecture": "amd64", "os": "linux",
				"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
			})
			img.blobs = append([][]byte{cfg}, img.blobs...)
			m, _ := json.Marshal(ocispec.Manifest{
				Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
				Config: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromBytes(cfg), Size: int64(len(cfg))},
				Layers: layers,
			})
			img.manifest = m
			out = append(out, img)
		}
	}
	return out
}

// layerTar is a tar holding one file of n random bytes, and its gzip.
func layerTar(rng *rand.Rand, n int) (tarball, gz []byte) {
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	_ = tw.WriteHeader(&tar.Header{Name: "data", Mode: 0o644, Size: int64(n), Typeflag: tar.TypeReg})
	_, _ = tw.Write(data)
	_ = tw.Close()
	var gb bytes.Buffer
	zw := gzip.NewWriter(&gb)
	_, _ = zw.Write(tb.Bytes())
	_ = zw.Close()
	return tb.Bytes(), gb.Bytes()
}

// pushSmallImages stores the sync images in the registry at base with
// plain distribution-spec calls (no ferry code).
func pushSmallImages(ctx context.Context, c *http.Client, base string, imgs []smallImage) error {
	for _, img := range imgs {
		for _, b := range img.blobs {
			if err := pushBytes(ctx, c, base, img.repo, b); err != nil {
				return err
			}
		}
		u := base + "/v2/" + img.repo + "/manifests/" + url.PathEscape(img.tag)
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, u, bytes.NewReader(img.manifest))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", ocispec.MediaTypeImageManifest)
		if err := expect(c, req, http.StatusCreated); err != nil {
			return err
		}
	}
	return nil
}

// pushBytes uploads b monolithically (POST, then PUT with ?digest=).
func pushBytes(ctx context.Context, c *http.Client, base, repo string, b []byte) error {
	loc, err := startUpload(ctx, c, base, repo, digest.FromBytes(b))
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, loc.String(), bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	return expect(c, req, http.StatusCreated)
}

// syncYAML is skopeo's sync file naming every sync repository (all tags)
// at host, over plain HTTP.
func syncYAML(host string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:\n  tls-verify: false\n  images:\n", host)
	for r := range syncRepos {
		fmt.Fprintf(&b, "    %s: []\n", syncRepo(r))
	}
	return b.String()
}

// checkSync wants every sync image at base under mirror/rNN:TAG (skopeo
// sync's naming without --scoped).
func checkSync(ctx context.Context, c *http.Client, base string, imgs []smallImage) error {
	for _, img := range imgs {
		name := "mirror/" + img.repo[strings.LastIndex(img.repo, "/")+1:]
		ok, err := headOK(ctx, c, base+"/v2/"+name+"/manifests/"+img.tag)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%s:%s is missing at the destination", name, img.tag)
		}
	}
	return nil
}
