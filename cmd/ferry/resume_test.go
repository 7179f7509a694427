//go:build unix

package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ferrytool/ferry/internal/archive"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport/dockerarchive"
	"github.com/opencontainers/go-digest"
)

// partialHolds reports whether the tar file at path holds a complete
// member named name.
func partialHolds(path, name string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err != nil {
			return false
		}
		if h.Name == name {
			n, err := io.Copy(io.Discard, tr)
			return err == nil && n == h.Size
		}
	}
}

// TestKilledArchiveCopyResumes: ferry is killed (SIGKILL: no cleanup)
// while copying an image into a docker-archive, after one layer is in
// the archive and while the next one stalls. The next run, with an empty
// download cache, does not fetch the layer the archive already holds,
// and ends with a whole, readable archive and nothing else beside it.
func TestKilledArchiveCopyResumes(t *testing.T) {
	bin := buildFerry(t, t.TempDir())
	img := testimage.New(testimage.Options{Seed: 11, Docker: true, LayerSizes: []int{200 << 10, 300 << 10}})
	var (
		mu      sync.Mutex
		gets    = map[digest.Digest]int{}
		first   digest.Digest // the layer served whole in the first run
		stall   = true
		stalled = make(chan struct{})
		once    sync.Once
	)
	isLayer := map[digest.Digest]bool{img.Layers[0].Digest: true, img.Layers[1].Digest: true}
	reg := testregistry.New(t, testregistry.Options{Wrap: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, rest, found := strings.Cut(r.URL.Path, "/blobs/")
			d := digest.Digest(rest)
			if r.Method != http.MethodGet || !found || !isLayer[d] {
				h.ServeHTTP(w, r)
				return
			}
			mu.Lock()
			gets[d]++
			if first == "" {
				first = d
			}
			stallThis := stall && d != first
			mu.Unlock()
			if !stallThis {
				h.ServeHTTP(w, r)
				return
			}
			// A slow link: half the layer, then nothing until ferry goes.
			b := img.Blobs[d]
			w.Header().Set("Content-Length", strconv.Itoa(len(b)))
			w.WriteHeader(http.StatusOK)
			w.Write(b[:len(b)/2])
			w.(http.Flusher).Flush()
			once.Do(func() { close(stalled) })
			<-r.Context().Done()
		})
	}})
	reg.Push(t, "app", "1", img)
	dir := t.TempDir()
	target := filepath.Join(dir, "out", "app.tar")
	if err := os.Mkdir(filepath.Dir(target), 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(cacheDir string) *exec.Cmd {
		cmd := exec.Command(bin, "copy", "-q", "--src-tls-verify=false", "docker://"+reg.Ref("app:1"), "docker-archive:"+target+":app:1")
		cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CACHE_HOME="+filepath.Join(dir, cacheDir), "XDG_RUNTIME_DIR="+dir)
		return cmd
	}

	cmd := run("cache1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-stalled:
	case err := <-exited:
		t.Fatalf("ferry ended before the stall: %v (stderr %q)", err, stderr.String())
	}
	// The first layer may still be on its way from ferry's download
	// cache into the archive; wait until the archive holds it whole.
	partial := filepath.Join(filepath.Dir(target), archive.PartialPrefix+filepath.Base(target))
	mu.Lock()
	member := "blobs/sha256/" + first.Encoded()
	mu.Unlock()
	deadline := time.Now().Add(30 * time.Second)
	for !partialHolds(partial, member) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the partial archive never held %s", member)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	<-exited

	mu.Lock()
	stall = false
	before := gets[first]
	mu.Unlock()
	if out, err := run("cache2").CombinedOutput(); err != nil {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	mu.Lock()
	again := gets[first] - before
	mu.Unlock()
	if again != 0 {
		t.Errorf("the second run fetched the layer the archive already held %d times", again)
	}
	left, _ := os.ReadDir(filepath.Dir(target))
	if len(left) != 1 {
		t.Errorf("beside the archive: %v", left)
	}
	ref, err := dockerarchive.ParseReference(target + ":app:1")
	if err != nil {
		t.Fatal(err)
	}
	src, err := ref.NewSource(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	mb, _, err := src.Manifest(context.Background(), nil)
	if err != nil {
		t.Fatalf("the resumed archive: %v", err)
	}
	m, err := manifest.ParseImage(mb)
	if err != nil || len(m.Layers) != len(img.Layers) {
		t.Fatalf("the resumed archive's manifest %s: %v", mb, err)
	}
	// The source serves each layer decompressed, named by its diff ID
	// (skopeo's manifest for an archive).
	for i, l := range img.Layers {
		rc, err := src.Blob(context.Background(), m.Layers[i])
		if err != nil {
			t.Fatalf("layer %s: %v", l.Digest, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		zr, zerr := gzip.NewReader(bytes.NewReader(img.Blobs[l.Digest]))
		if zerr != nil {
			t.Fatal(zerr)
		}
		want, _ := io.ReadAll(zr)
		if err != nil || !bytes.Equal(b, want) {
			t.Errorf("layer %s differs in the resumed archive (%v)", l.Digest, err)
		}
	}
}
