package e2e

import (
	"bufio"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/opencontainers/go-digest"
)

// stallingRegistry serves img as app:1 and, while stall is set, answers a
// GET of img's last layer with half the body and then nothing: a copy
// from it is stuck at a known point, with the other blobs served. The
// stall stands for a registry that stops sending (a real one cannot be
// made to); stalled receives one value per stalled request.
func stallingRegistry(t *testing.T, img *testimage.Image) (reg *testregistry.Registry, stall *atomic.Bool, stalled chan struct{}) {
	t.Helper()
	layer := img.Layers[len(img.Layers)-1]
	body := img.Blobs[layer.Digest]
	stall = &atomic.Bool{}
	stalled = make(chan struct{}, 16)
	reg = testregistry.New(t, testregistry.Options{Wrap: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !stall.Load() || r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/blobs/"+layer.Digest.String()) {
				h.ServeHTTP(w, r)
				return
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.Header().Set("Docker-Content-Digest", layer.Digest.String())
			w.WriteHeader(http.StatusOK)
			w.Write(body[:len(body)/2])
			w.(http.Flusher).Flush()
			select {
			case stalled <- struct{}{}:
			default:
			}
			<-r.Context().Done()
		})
	}})
	reg.Push(t, "app", "1", img)
	return reg, stall, stalled
}

// killDuringCopy starts `ferry copy src dst`, waits until the registry
// holds it stalled and ready (when set) reports true, and kills it
// (SIGKILL: no cleanup of its own).
func killDuringCopy(t *testing.T, stalled chan struct{}, ready func() bool, src, dst string) {
	t.Helper()
	cmd := exec.Command(ferryBin, "copy", "-q", "--src-tls-verify=false", src, dst)
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_RUNTIME_DIR="+home, "XDG_CACHE_HOME="+filepath.Join(home, ".cache"), "REGISTRY_AUTH_FILE=", "DOCKER_CONFIG="+filepath.Join(home, ".docker"))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan string, 1)
	go func() {
		var out strings.Builder
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			out.WriteString(s.Text() + "\n")
		}
		exited <- out.String()
	}()
	select {
	case <-stalled:
	case out := <-exited:
		cmd.Wait()
		t.Fatalf("ferry copy ended before the stalled blob: %s", out)
	}
	// Wait for a state of the destination, not for a time: the blobs
	// served whole are being stored while the last one is stuck.
	for deadline := time.Now().Add(time.Minute); ready != nil && !ready(); {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal("the copy never stored the blobs served whole")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// TestKilledCopyLeavesNothing: a copy killed in the middle into a new oci:
// or dir: path makes nothing appear at the path; the next copy there
// succeeds and removes what the killed one left beside it.
func TestKilledCopyLeavesNothing(t *testing.T) {
	t.Parallel()
	img := testimage.New(testimage.Options{Seed: 7, LayerSizes: []int{64 << 10, 256 << 10}})
	reg, stall, stalled := stallingRegistry(t, img)
	src := "docker://" + reg.Ref("app:1")
	for _, tc := range []struct{ name, dst string }{{"oci", "oci:%s:v1"}, {"dir", "dir:%s"}} {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			path := filepath.Join(parent, "new")
			dst := strings.Replace(tc.dst, "%s", path, 1)
			stall.Store(true)
			killDuringCopy(t, stalled, nil, src, dst)
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Fatalf("a killed copy made %s appear (stat: %v)", path, err)
			}
			r := ferry(t, 2, "inspect", strings.TrimSuffix(dst, ":v1")+map[bool]string{true: ":v1"}[tc.name == "oci"])
			oneLine(t, r)
			stall.Store(false)
			ferry(t, 0, "copy", "-q", "--src-tls-verify=false", src, dst)
			if got := names(t, parent); !slices.Equal(got, []string{"new"}) {
				t.Errorf("after the next copy the directory holds %v, want [new]", got)
			}
		})
	}
}

// TestKilledCopyIntoExistingLayout: the blobs a killed copy stored in an
// existing layout are gone once the next copy into it has run; the layout
// then holds exactly the blobs of its images.
func TestKilledCopyIntoExistingLayout(t *testing.T) {
	t.Parallel()
	img := testimage.New(testimage.Options{Seed: 8, LayerSizes: []int{64 << 10, 256 << 10}})
	reg, stall, stalled := stallingRegistry(t, img)
	root := filepath.Join(t.TempDir(), "layout")
	ferry(t, 0, "copy", "-q", "--all", "oci:"+filepath.Join(repoRoot(), "testdata", "sample")+":latest", "oci:"+root+":base")
	base, err := filepath.Glob(filepath.Join(root, "blobs", "sha256", "*"))
	if err != nil {
		t.Fatal(err)
	}
	stall.Store(true)
	served := filepath.Join(root, "blobs", "sha256", img.Layers[0].Digest.Encoded())
	killDuringCopy(t, stalled, func() bool { _, err := os.Stat(served); return err == nil }, "docker://"+reg.Ref("app:1"), "oci:"+root+":killed")
	// The next copy (of the base image again: it stores nothing new).
	ferry(t, 0, "copy", "-q", "--all", "oci:"+filepath.Join(repoRoot(), "testdata", "sample")+":latest", "oci:"+root+":again")
	got, err := filepath.Glob(filepath.Join(root, "blobs", "sha256", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, base) {
		var extra []string
		for _, p := range got {
			if !slices.Contains(base, p) {
				extra = append(extra, digest.NewDigestFromEncoded(digest.SHA256, filepath.Base(p)).String())
			}
		}
		t.Errorf("the layout holds blobs no image uses: %v", extra)
	}
	if left := names(t, root); !slices.Equal(left, []string{"blobs", "index.json", "oci-layout"}) {
		t.Errorf("the layout holds %v", left)
	}
}
