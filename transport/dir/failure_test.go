package dir_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ferrytool/ferry/internal/fsutil"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/transporttest"
	"github.com/ferrytool/ferry/transport"
	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
)

// killEnv makes the test binary act as a ferry process writing one image
// into "PATH SEED" that stops before Commit (prints "ready", then waits on
// stdin until it is killed).
const killEnv = "FERRY_DIR_TEST_KILLED_WRITER"

func TestMain(m *testing.M) {
	if job := os.Getenv(killEnv); job != "" {
		os.Exit(runStalledWriter(job))
	}
	os.Exit(m.Run())
}

func runStalledWriter(job string) int {
	var path string
	var seed int64
	if _, err := fmt.Sscan(job, &path, &seed); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx := context.Background()
	dst, err := ref(path).NewDestination(ctx, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := testimage.New(testimage.Options{Seed: seed}).Write(ctx, stallingCommit{dst}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// stallingCommit is a destination whose Commit never returns, so a test
// can kill the process with every file written and nothing committed.
type stallingCommit struct{ transport.Destination }

func (stallingCommit) Commit(context.Context) error {
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	select {}
}

// killWriter runs a writer process into path up to its Commit and kills it.
func killWriter(t *testing.T, path string, seed int) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %d", killEnv, path, seed))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	cmd.Process.Kill()
	cmd.Wait()
	if line != "ready\n" {
		t.Fatalf("writer did not get to Commit: %q, %v", line, err)
	}
}

// TestKilledCopy: a copy killed before Commit leaves a new path absent and
// an existing image whole; the next copy removes what it left.
func TestKilledCopy(t *testing.T) {
	t.Parallel()
	for _, existing := range []bool{false, true} {
		t.Run(fmt.Sprintf("existing=%v", existing), func(t *testing.T) {
			t.Parallel()
			parent := t.TempDir()
			path := filepath.Join(parent, "img")
			old := testimage.New(testimage.Options{Seed: 1})
			if existing {
				write(t, path, old)
			}
			before := visible(t, path)
			killWriter(t, path, 2)
			if diff := cmp.Diff(before, visible(t, path)); diff != "" {
				t.Errorf("a killed copy changed the destination (-before +after):\n%s", diff)
			}
			img := testimage.New(testimage.Options{Seed: 3})
			write(t, path, img)
			if got := files(t, parent); !slices.Equal(got, []string{"img"}) {
				t.Errorf("parent holds %v, want [img]", got)
			}
			if diff := cmp.Diff(expectedFiles(img), files(t, path)); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			transporttest.AssertSame(t, img.Source(), open(t, path))
		})
	}
}

// TestConcurrentCopies: writers racing into one directory (new or holding
// an image) all succeed, and the directory ends up holding exactly one of
// their images, whole, with nothing else left.
func TestConcurrentCopies(t *testing.T) {
	t.Parallel()
	for _, existing := range []bool{false, true} {
		t.Run(fmt.Sprintf("existing=%v", existing), func(t *testing.T) {
			t.Parallel()
			parent := t.TempDir()
			path := filepath.Join(parent, "img")
			if existing {
				write(t, path, testimage.New(testimage.Options{Seed: 99}))
			}
			imgs := map[digest.Digest]*testimage.Image{}
			var wg sync.WaitGroup
			errs := make(chan error, 4)
			for i := range 4 {
				img := testimage.New(testimage.Options{Seed: int64(i)})
				imgs[digest.FromBytes(img.Manifest)] = img
				wg.Go(func() {
					ctx := context.Background()
					dst, err := ref(path).NewDestination(ctx, nil)
					if err != nil {
						errs <- err
						return
					}
					defer dst.Close()
					if err := img.Write(ctx, dst); err != nil {
						errs <- err
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			top := readFile(t, filepath.Join(path, "manifest.json"))
			img, ok := imgs[digest.FromBytes(top)]
			if !ok {
				t.Fatalf("manifest.json is none of the images written: %s", top)
			}
			if diff := cmp.Diff(expectedFiles(img), files(t, path)); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			transporttest.AssertSame(t, img.Source(), open(t, path))
			if got := files(t, parent); !slices.Equal(got, []string{"img"}) {
				t.Errorf("parent holds %v, want [img]", got)
			}
		})
	}
}

// TestFailedCopyIntoNewDirectory: the path is "not found" afterwards, not
// a half image.
func TestFailedCopyIntoNewDirectory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	parent := t.TempDir()
	path := filepath.Join(parent, "img")
	dst, err := ref(path).NewDestination(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	img := testimage.New(testimage.Options{})
	for _, d := range img.Layers {
		if err := dst.PutBlob(ctx, d, bytesReader(img.Blobs[d.Digest])); err != nil {
			t.Fatal(err)
		}
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	if got := files(t, parent); len(got) != 0 {
		t.Errorf("parent holds %v after a failed copy", got)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the path exists after a failed copy (stat: %v)", err)
	}
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// visible maps each file of path to its content, leaving out temporary
// names (a killed writer's staging directory); nil when path is missing.
func visible(t *testing.T, path string) map[string]string {
	t.Helper()
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	m := map[string]string{}
	for _, name := range files(t, path) {
		if !strings.HasPrefix(name, fsutil.TempPrefix) {
			m[name] = string(readFile(t, filepath.Join(path, name)))
		}
	}
	return m
}

// TestCommitDropsUnusedBlobs: a blob a copy stored that its image does not
// use (a junk member of a hostile archive) is not committed.
func TestCommitDropsUnusedBlobs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "img")
	ix := testimage.NewIndex(false, amd64, arm64)
	dst, err := ref(path).NewDestination(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if _, err := dst.(transport.StreamingDestination).PutBlobStream(ctx, "application/octet-stream", bytesReader([]byte("junk member"))); err != nil {
		t.Fatal(err)
	}
	if err := ix.Write(ctx, dst); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(expectedFiles(ix), files(t, path)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	transporttest.AssertSame(t, ix.Source(), open(t, path))
}

// TestIndexWithoutInstances: an index copied alone (--multi-arch
// index-only) commits whole.
func TestIndexWithoutInstances(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "img")
	ix := testimage.NewIndex(false, amd64, arm64)
	dst, err := ref(path).NewDestination(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if err := dst.PutManifest(ctx, ix.Manifest, ix.MediaType, nil); err != nil {
		t.Fatal(err)
	}
	if err := dst.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := files(t, path); !slices.Equal(got, []string{"manifest.json", "version"}) {
		t.Errorf("files: %v", got)
	}
}
