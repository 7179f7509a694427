package layout_test

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
	"strconv"
	"sync"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/transporttest"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
)

// stallEnv makes the writer process (see runWriter) stop before Commit:
// it prints "ready" and waits on stdin until it is killed.
const stallEnv = "FERRY_LAYOUT_TEST_STALL"

// stallingCommit is a destination whose Commit never returns, so a test
// can kill the process at a known point: every blob and manifest written,
// nothing committed.
type stallingCommit struct{ transport.Destination }

func (stallingCommit) Commit(context.Context) error {
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	select {}
}

// killWriter runs a writer process into name, lets it write everything but
// the commit, and kills it.
func killWriter(t *testing.T, name string, seed int) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %d", writerEnv, name, seed), stallEnv+"=1")
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
	if line != "ready\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("writer did not get to Commit: %q, %v", line, err)
	}
	cmd.Process.Kill()
	cmd.Wait()
}

// entries lists the names in dir, sorted.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// writeNoCommit writes img's blobs and manifest into name and closes the
// destination without committing, as a failed copy does.
func writeNoCommit(t *testing.T, name string, img *testimage.Image) {
	t.Helper()
	ctx := context.Background()
	dst, err := parse(t, name).NewDestination(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for d, b := range img.Blobs {
		if err := dst.PutBlob(ctx, descFor(d, b), bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
	}
	if err := dst.PutManifest(ctx, img.Manifest, img.MediaType, nil); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestFailedCopyIntoNewLayoutLeavesNothing: the path of a new layout
// appears only at Commit; a failed copy leaves its parent as it was, and
// the path is then "not found", not "not a layout".
func TestFailedCopyIntoNewLayoutLeavesNothing(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	path := filepath.Join(parent, "new")
	writeNoCommit(t, path+":v1", testimage.New(testimage.Options{Seed: 1}))
	if got := entries(t, parent); len(got) != 0 {
		t.Errorf("after a failed copy the parent holds %v, want nothing", got)
	}
	_, err := parse(t, path+":v1").NewSource(context.Background(), nil)
	if !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("NewSource: got %v, want %v", err, errdefs.ErrNotFound)
	}
}

// TestKilledCopyIntoNewLayout: a writer killed before Commit leaves a
// temporary directory beside the path (never the path itself); the next
// copy into that path removes it.
func TestKilledCopyIntoNewLayout(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	path := filepath.Join(parent, "new")
	killWriter(t, path+":v1", 1)
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a killed copy made the path visible (stat: %v)", err)
	}
	if got := entries(t, parent); len(got) != 1 {
		t.Fatalf("the killed copy left %v, want its one temporary directory", got)
	}
	img := testimage.New(testimage.Options{Seed: 2})
	write(t, path+":v2", img)
	if got := entries(t, parent); !slices.Equal(got, []string{"new"}) {
		t.Errorf("after the next copy the parent holds %v, want [new]", got)
	}
	transporttest.AssertSame(t, img.Source(), open(t, path+":v2"))
}

// TestFailedCopyIntoExistingLayoutAddsNoBlobs: a copy that does not commit,
// or that is killed, leaves no orphan blob in an existing layout (the
// killed one's blobs are removed by the next writer).
func TestFailedCopyIntoExistingLayoutAddsNoBlobs(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	kept := testimage.New(testimage.Options{Seed: 1})
	write(t, root+":kept", kept)
	before := blobFiles(t, root)

	writeNoCommit(t, root+":failed", testimage.New(testimage.Options{Seed: 2}))
	if got := blobFiles(t, root); !slices.Equal(got, before) {
		t.Errorf("after a failed copy: blobs %v, want %v", got, before)
	}

	killWriter(t, root+":killed", 3)
	if got := blobFiles(t, root); slices.Equal(got, before) {
		t.Fatal("the killed writer stored no blob: the test proves nothing")
	}
	writeNoCommit(t, root+":failed", testimage.New(testimage.Options{Seed: 4}))
	if got := blobFiles(t, root); !slices.Equal(got, before) {
		t.Errorf("after the next copy: blobs %v, want %v (the killed copy's blobs removed)", got, before)
	}
	if got := leftovers(t, root); len(got) > 0 {
		t.Errorf("leftover files: %v", got)
	}
	transporttest.AssertSame(t, kept.Source(), open(t, root+":kept"))
}

// TestFailedCopyKeepsBlobsAnotherWriterUses: two writers share a blob; the
// one that stores it fails, the other found it already there (HasBlob) and
// commits. The blob stays, because the second writer's journal claims it.
func TestFailedCopyKeepsBlobsAnotherWriterUses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := t.TempDir()
	write(t, root+":base", testimage.New(testimage.Options{Seed: 9}))
	img := testimage.New(testimage.Options{Seed: 1})
	failing, err := parse(t, root+":a").NewDestination(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for d, b := range img.Blobs {
		if err := failing.PutBlob(ctx, descFor(d, b), bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
	}
	other, err := parse(t, root+":b").NewDestination(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	for d, b := range img.Blobs {
		has, err := other.HasBlob(ctx, descFor(d, b))
		if err != nil || !has {
			t.Fatalf("HasBlob(%s): %v, %v; want true", d, has, err)
		}
	}
	if err := failing.Close(); err != nil {
		t.Fatal(err)
	}
	if err := other.PutManifest(ctx, img.Manifest, img.MediaType, nil); err != nil {
		t.Fatal(err)
	}
	if err := other.Commit(ctx); err != nil {
		t.Fatalf("Commit of the writer that relied on the shared blobs: %v", err)
	}
	transporttest.AssertSame(t, img.Source(), open(t, root+":b"))
}

// TestConcurrentCopiesIntoNewLayout: writers racing to create one layout,
// some storing the same cached blob file by hard link (where renaming one
// link over another does nothing), all succeed, and no temporary file or
// directory is left.
func TestConcurrentCopiesIntoNewLayout(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	root := filepath.Join(parent, "layout")
	cacheDir := t.TempDir()
	shared := testimage.New(testimage.Options{Seed: 100})
	for d, b := range shared.Blobs {
		if err := os.WriteFile(filepath.Join(cacheDir, d.Encoded()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]digest.Digest{}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		ref := "r" + strconv.Itoa(i)
		want[ref] = shared.Digest
		wg.Go(func() {
			ctx := context.Background()
			dst, err := parse(t, root+":"+ref).NewDestination(ctx, nil)
			if err != nil {
				errs <- err
				return
			}
			defer dst.Close()
			for d := range shared.Blobs {
				desc := descFor(d, shared.Blobs[d])
				if err := dst.(transport.BlobFileDestination).PutBlobFile(ctx, desc, filepath.Join(cacheDir, d.Encoded())); err != nil {
					errs <- err
					return
				}
			}
			if err := dst.PutManifest(ctx, shared.Manifest, shared.MediaType, nil); err != nil {
				errs <- err
				return
			}
			if err := dst.Commit(ctx); err != nil {
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
	if got := entries(t, parent); !slices.Equal(got, []string{"layout"}) {
		t.Errorf("parent holds %v, want [layout]", got)
	}
	if got := leftovers(t, root); len(got) > 0 {
		t.Errorf("leftover files: %v", got)
	}
}

// TestCommitDropsUnusedBlobs: blobs a copy stored that its image does not
// use (the junk members of a hostile archive, streamed in before the
// manifest was known) do not stay in the layout, new or existing.
func TestCommitDropsUnusedBlobs(t *testing.T) {
	t.Parallel()
	for _, existing := range []bool{false, true} {
		t.Run(fmt.Sprintf("existing=%v", existing), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			root := filepath.Join(t.TempDir(), "layout")
			var before []string
			if existing {
				write(t, root+":base", testimage.New(testimage.Options{Seed: 1}))
				before = blobFiles(t, root)
			}
			img := testimage.New(testimage.Options{Seed: 2})
			dst, err := parse(t, root+":v1").NewDestination(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer dst.Close()
			junk, err := dst.(transport.StreamingDestination).PutBlobStream(ctx, "application/octet-stream", bytes.NewReader([]byte("junk member")))
			if err != nil {
				t.Fatal(err)
			}
			if err := img.Write(ctx, dst); err != nil {
				t.Fatal(err)
			}
			got := blobFiles(t, root)
			if slices.Contains(got, filepath.Join(root, "blobs", "sha256", junk.Digest.Encoded())) {
				t.Error("the unused blob stayed in the layout")
			}
			if want := len(before) + len(img.Blobs) + 1; len(got) != want {
				t.Errorf("the layout holds %d blobs, want %d", len(got), want)
			}
			transporttest.AssertSame(t, img.Source(), open(t, root+":v1"))
		})
	}
}

// TestFailedCopyIntoEmptyDirectory: an existing empty directory is left
// empty by a copy that fails.
func TestFailedCopyIntoEmptyDirectory(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeNoCommit(t, root+":v1", testimage.New(testimage.Options{Seed: 1}))
	if got := entries(t, root); len(got) != 0 {
		t.Errorf("after a failed copy the directory holds %v, want nothing", got)
	}
}

// TestIndexWithoutInstances: an index copied alone (--multi-arch
// index-only) commits, into a new layout and an existing one, though the
// blobs its instances name are not there.
func TestIndexWithoutInstances(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "layout")
	ix := testimage.NewIndex(false, amd64, arm64)
	for _, ref := range []string{"new", "existing"} {
		dst, err := parse(t, root+":"+ref).NewDestination(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := dst.PutManifest(ctx, ix.Manifest, ix.MediaType, nil); err != nil {
			t.Fatal(err)
		}
		if err := dst.Commit(ctx); err != nil {
			t.Fatalf("%s layout: Commit of an index without its instances: %v", ref, err)
		}
		dst.Close()
		b, _, err := open(t, root+":"+ref).Manifest(ctx, nil)
		if err != nil || !bytes.Equal(b, ix.Manifest) {
			t.Errorf("%s layout: reading the index back: %v", ref, err)
		}
	}
}

// TestConcurrentFailingAndCommittingWriters: writers sharing blobs, half
// of them failing (Close without Commit) while the others commit, leave
// every committed image whole and no blob that no image uses.
func TestConcurrentFailingAndCommittingWriters(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write(t, root+":base", testimage.New(testimage.Options{Seed: 50}))
	shared := testimage.New(testimage.Options{Seed: 51})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		fail := i%2 == 1
		wg.Go(func() {
			ctx := context.Background()
			dst, err := parse(t, root+":r"+strconv.Itoa(i)).NewDestination(ctx, nil)
			if err != nil {
				errs <- err
				return
			}
			defer dst.Close()
			for d, b := range shared.Blobs {
				desc := descFor(d, b)
				if has, err := dst.HasBlob(ctx, desc); err != nil {
					errs <- err
					return
				} else if has {
					continue
				}
				if err := dst.PutBlob(ctx, desc, bytes.NewReader(b)); err != nil {
					errs <- err
					return
				}
			}
			if err := dst.PutManifest(ctx, shared.Manifest, shared.MediaType, nil); err != nil {
				errs <- err
				return
			}
			if fail {
				return // Close without Commit
			}
			if err := dst.Commit(ctx); err != nil {
				errs <- fmt.Errorf("r%d: %w", i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := 0; i < 16; i += 2 {
		transporttest.AssertSame(t, shared.Source(), open(t, root+":r"+strconv.Itoa(i)))
	}
	if got, want := len(blobFiles(t, root)), 4+4; got != want {
		t.Errorf("the layout holds %d blobs, want %d (two images: manifest, config, two layers)", got, want)
	}
	if got := leftovers(t, root); len(got) > 0 {
		t.Errorf("leftover files: %v", got)
	}
}
