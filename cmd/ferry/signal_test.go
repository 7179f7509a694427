//go:build unix

package main

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
)

// TestSignalCleansUpAndDies interrupts a copy into a docker-archive while
// a layer is half downloaded: ferry removes its temporary archive, then
// dies of the signal (a shell sees 130 for SIGINT, 143 for SIGTERM), so a
// calling script stops instead of carrying on after "exit 1". The
// in-process registry stalls that layer after half its bytes (a slow
// link), so the test knows ferry is inside the copy.
func TestSignalCleansUpAndDies(t *testing.T) {
	bin := buildFerry(t, t.TempDir())
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			img := testimage.New(testimage.Options{Seed: 9, LayerSizes: []int{256 << 10}})
			layer := img.Layers[0].Digest
			inside := make(chan struct{})
			var once sync.Once
			reg := testregistry.New(t, testregistry.Options{Wrap: func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/blobs/"+layer.String()) {
						h.ServeHTTP(w, r)
						return
					}
					b := img.Blobs[layer]
					w.Header().Set("Content-Length", strconv.Itoa(len(b)))
					w.WriteHeader(http.StatusOK)
					w.Write(b[:len(b)/2])
					w.(http.Flusher).Flush()
					once.Do(func() { close(inside) })
					<-r.Context().Done() // until ferry goes away
				})
			}})
			reg.Push(t, "app", "1", img)
			dir := t.TempDir()
			out := filepath.Join(dir, "out")
			if err := os.Mkdir(out, 0o755); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bin, "copy", "-q", "--src-tls-verify=false", "docker://"+reg.Ref("app:1"), "docker-archive:"+filepath.Join(out, "app.tar")+":app:1")
			cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CACHE_HOME="+filepath.Join(dir, "cache"), "XDG_RUNTIME_DIR="+dir)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			// A shell that runs the tests in the background (a CI job, a
			// script's "&") has them ignore SIGINT, and an ignored signal
			// stays ignored across exec: that ferry would (rightly) just
			// exit 130. Handling the signal while ferry starts gives it the
			// default disposition a terminal's ferry has.
			handled := make(chan os.Signal, 1)
			signal.Notify(handled, sig)
			err := cmd.Start()
			signal.Stop(handled)
			if err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			select {
			case <-inside:
			case err := <-exited:
				t.Fatalf("ferry ended before the stalled layer: %v (stderr %q)", err, stderr.String())
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err = <-exited
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("ferry: %v, want a death by %v (stderr %q)", err, sig, stderr.String())
			}
			ws := exit.Sys().(syscall.WaitStatus)
			if !ws.Signaled() || ws.Signal() != sig {
				t.Errorf("ferry ended with %v, want a death by %v (stderr %q)", ws, sig, stderr.String())
			}
			if bytes.Contains(stderr.Bytes(), []byte("goroutine")) {
				t.Errorf("stderr holds a stack: %s", stderr.String())
			}
			if left, _ := os.ReadDir(out); len(left) != 0 {
				t.Errorf("left in the destination directory: %v", left)
			}
		})
	}
}
