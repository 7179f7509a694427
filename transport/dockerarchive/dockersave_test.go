package dockerarchive_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/internal/testdocker"
	"github.com/ferrytool/ferry/internal/testenv"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
)

// TestDockerSavePipedToRegistry: `docker save IMAGE | ferry copy
// docker-archive:- docker://...` against the real Engine (whatever layout
// its version writes) and the in-process registry. The pushed image has
// the saved config and diff IDs, and docker save's stdout is read once,
// as it comes.
func TestDockerSavePipedToRegistry(t *testing.T) {
	d := testdocker.Start(t)
	cli := testenv.NeedCommand(t, "docker")
	img := testimage.New(testimage.Options{Docker: true, Seed: 44, LayerSizes: []int{400 << 10, 100}})
	p := filepath.Join(t.TempDir(), "load.tar")
	write(t, p+":piped/save:1", img, nil)
	d.Docker(t, "load", "-i", p)

	save := exec.Command(cli, "save", "piped/save:1")
	save.Env = append(os.Environ(), "DOCKER_HOST="+d.Host)
	out, err := save.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	save.Stderr = &stderr
	if err := save.Start(); err != nil {
		t.Fatal(err)
	}
	reg := testregistry.New(t, testregistry.Options{})
	dst, err := plainHTTPRef(reg.Ref("piped/save:1"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, err = copier.Copy(ctx, parse(t, "-"), dst, copier.Options{
		Source:      transport.Options{Stdin: out, TmpDir: t.TempDir()},
		Destination: transport.Options{},
	})
	if werr := save.Wait(); werr != nil {
		t.Fatalf("docker save: %v\n%s", werr, stderr.Bytes())
	}
	if err != nil {
		t.Fatal(err)
	}
	src, err := dst.NewSource(ctx, &transport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	got, err := readImage(t, src)
	if err != nil {
		t.Fatal(err)
	}
	if got.Image.Config.Digest != img.Config.Digest {
		t.Errorf("config %s, want %s", got.Image.Config.Digest, img.Config.Digest)
	}
	want := diffIDs(t, img.Blobs[img.Config.Digest])
	for i, l := range got.Image.Layers {
		if diff := uncompressedDigestOf(t, got.Blobs[l.Digest]); diff != want[i] {
			t.Errorf("layer %d holds %s, want diff ID %s", i, diff, want[i])
		}
	}
}

func uncompressedDigestOf(t *testing.T, b []byte) digest.Digest {
	t.Helper()
	return digest.FromBytes(decompressed(t, b))
}
