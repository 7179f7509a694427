package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/internal/archive/tartest"
	"github.com/opencontainers/go-digest"
)

// legacySave is what `docker save` of Docker 20.10 writes for a one-layer
// image: ID/layer.tar uncompressed, the config as HEX.json, manifest.json
// last. The layer's digest is known only once it has passed.
func legacySave(t *testing.T) []byte {
	t.Helper()
	payload := make([]byte, 200<<10)
	rand.New(rand.NewSource(5)).Read(payload)
	layer := tartest.Tar(t, tartest.File("data", payload))
	cfg, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux",
		"rootfs": map[string]any{"type": "layers", "diff_ids": []digest.Digest{digest.FromBytes(layer)}},
	})
	id := digest.FromString("layer id").Encoded()
	cfgName := digest.FromBytes(cfg).Encoded() + ".json"
	mj, _ := json.Marshal([]map[string]any{{"Config": cfgName, "RepoTags": []string{"app:1"}, "Layers": []string{id + "/layer.tar"}}})
	return tartest.Tar(t,
		tartest.File(id+"/VERSION", []byte("1.0")),
		tartest.File(id+"/layer.tar", layer),
		tartest.File(cfgName, cfg),
		tartest.File("manifest.json", mj))
}

// TestStreamWithPlainProgress: `docker save | ferry copy docker-archive:-
// ...` with plain progress lines (the default off a terminal) panicked on
// the layer whose digest the stream had not told yet.
func TestStreamWithPlainProgress(t *testing.T) {
	dir := t.TempDir()
	bin := buildFerry(t, dir)
	cmd := exec.Command(bin, "copy", "--progress", "plain", "docker-archive:-", "oci:"+filepath.Join(dir, "layout")+":app")
	cmd.Stdin = bytes.NewReader(legacySave(t))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	out := stderr.String()
	if strings.Contains(out, "panic") || strings.Contains(out, "goroutine") {
		t.Fatalf("stderr holds a panic:\n%s", out)
	}
	for _, want := range []string{"Copying blob (streamed: its digest is known at its end)", "Copied blob ", fmt.Sprintf("Copied %d blobs", 2)} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr lacks %q:\n%s", want, out)
		}
	}
}
