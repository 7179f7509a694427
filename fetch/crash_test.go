package fetch

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// crashChild names the environment that makes the test binary, run again
// by TestFetchResumesAfterSIGKILL, do the fetch that gets killed.
const crashChild = "FERRY_FETCH_CRASH_CHILD"

func TestFetchResumesAfterSIGKILL(t *testing.T) {
	if os.Getenv(crashChild) != "" {
		runCrashChild(t)
		return
	}
	t.Parallel()
	const pause = 5<<20 + 4321 // the server stops sending here
	srv := newBlobServer(t, faults{pauseAt: pause})
	blob, d := testBlob(30, 8<<20)
	srv.add(blob, d)
	dir := t.TempDir()

	cmd := exec.Command(os.Args[0], "-test.run=^TestFetchResumesAfterSIGKILL$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChild+"=1", "FETCH_URL="+srv.URL, "FETCH_DIR="+dir,
		"FETCH_DIGEST="+d.Digest.String(), "FETCH_SIZE="+strconv.FormatInt(d.Size, 10))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()

	// Kill the child once the link stopped and the child saved what it
	// received, as a user would kill a stuck copy.
	p := (&Cache{dir: dir}).paths(d.Digest)
	var saved *sidecar
	for deadline := time.Now().Add(time.Minute); ; {
		if sc, err := readSidecar(p.state); err == nil && spansOf(sc).total() >= pause*95/100 {
			saved = sc
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the child never saved its progress (server sent %d bytes)", srv.sent.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	killed = true
	if saved.Hashed == 0 {
		t.Errorf("the sidecar holds no hash state: a resume would hash everything again")
	}

	srv.unpause()
	src := &counting{RangeReader: srv.source()}
	fetchOK(t, newFetcher(t, dir), src, d, blob)
	again := src.read.Load() - (d.Size - pause)
	if again > pause*5/100 {
		t.Errorf("the rerun fetched %d of the %d bytes the killed run received again, want at most 5%%", again, pause)
	}
	t.Logf("killed after %d bytes, %d saved; the rerun read %d (%d again)", pause, spansOf(saved).total(), src.read.Load(), again)
}

func spansOf(sc *sidecar) spanSet {
	var s spanSet
	for _, r := range sc.Ranges {
		s = append(s, span{r[0], r[1]})
	}
	return s
}

// runCrashChild is the process that gets killed: it fetches until the
// server stops sending, and waits there.
func runCrashChild(t *testing.T) {
	size, _ := strconv.ParseInt(os.Getenv("FETCH_SIZE"), 10, 64)
	d := ocispec.Descriptor{Digest: digest.Digest(os.Getenv("FETCH_DIGEST")), Size: size}
	url := os.Getenv("FETCH_URL")
	f, err := New(WithDir(os.Getenv("FETCH_DIR")), WithThreshold(1<<20), WithChunkSize(1<<20), WithConnections(4),
		WithCheckpoint(256<<10, 20*time.Millisecond), WithStallTimeout(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	src := &HTTPSource{URL: func(d ocispec.Descriptor) string { return url + "/blobs/" + d.Digest.String() }}
	_, err = f.Fetch(context.Background(), src, d)
	t.Fatalf("the fetch returned (%v); it should have been killed", err)
}
