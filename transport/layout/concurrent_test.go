package layout_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/ferrytool/ferry/internal/ocilayout"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/transport/layout"
	"github.com/opencontainers/go-digest"
)

// writerEnv makes the test binary act as a separate ferry process writing
// one image: "PATH:REF SEED".
const writerEnv = "FERRY_LAYOUT_TEST_WRITER"

func TestMain(m *testing.M) {
	if job := os.Getenv(writerEnv); job != "" {
		os.Exit(runWriter(job))
	}
	os.Exit(m.Run())
}

func runWriter(job string) int {
	var name string
	var seed int64
	if _, err := fmt.Sscan(job, &name, &seed); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	r, err := layout.ParseReference(name)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx := context.Background()
	dst, err := r.NewDestination(ctx, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer dst.Close()
	if os.Getenv(stallEnv) != "" {
		dst = stallingCommit{dst}
	}
	if err := testimage.New(testimage.Options{Seed: seed}).Write(ctx, dst); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// assertRefs checks that the layout's index.json parses and names every
// ref with the image of its seed.
func assertRefs(t *testing.T, root string, want map[string]digest.Digest) {
	t.Helper()
	ix, err := ocilayout.ParseIndex(readFile(t, filepath.Join(root, "index.json")))
	if err != nil {
		t.Fatalf("index.json: %v", err)
	}
	if len(ix.Manifests) != len(want) {
		t.Errorf("index.json has %d entries, want %d", len(ix.Manifests), len(want))
	}
	for ref, d := range want {
		got, err := ocilayout.Lookup(ix, ref, -1)
		if err != nil {
			t.Errorf("ref %s: %v", ref, err)
			continue
		}
		if got.Digest != d {
			t.Errorf("ref %s: got %s, want %s", ref, got.Digest, d)
		}
	}
	if got := leftovers(t, root); len(got) > 0 {
		t.Errorf("leftover files: %v", got)
	}
}

func TestConcurrentWriters(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	want := map[string]digest.Digest{}
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i := range 10 {
		ref := "r" + strconv.Itoa(i)
		img := testimage.New(testimage.Options{Seed: int64(i)})
		want[ref] = img.Digest
		wg.Go(func() {
			ctx := context.Background()
			dst, err := parse(t, root+":"+ref).NewDestination(ctx, nil)
			if err != nil {
				errs <- err
				return
			}
			defer dst.Close()
			if err := img.Write(ctx, dst); err != nil {
				errs <- fmt.Errorf("%s: %w", ref, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assertRefs(t, root, want)
}

// TestConcurrentProcesses runs writers as separate processes, so the lock
// is exercised across processes as well as goroutines.
func TestConcurrentProcesses(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	want := map[string]digest.Digest{}
	var cmds []*exec.Cmd
	for i := range 6 {
		ref := "p" + strconv.Itoa(i)
		want[ref] = testimage.New(testimage.Options{Seed: int64(i)}).Digest
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s:%s %d", writerEnv, root, ref, i))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("writer %v: %v", cmd.Env[len(cmd.Env)-1], err)
		}
	}
	assertRefs(t, root, want)
}
