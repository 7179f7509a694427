package fetch

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// fillCache fetches n blobs of 1 MiB + i into dir and dates them an hour
// apart, oldest first.
func fillCache(t *testing.T, f *Fetcher, n int) []ocispec.Descriptor {
	t.Helper()
	srv := newBlobServer(t, faults{})
	var ds []ocispec.Descriptor
	for i := range n {
		blob, d := testBlob(uint64(60+i), 1<<20+i)
		srv.add(blob, d)
		fetchOK(t, f, srv.source(), d, blob)
		at := time.Now().Add(time.Duration(i-n) * time.Hour)
		if err := os.Chtimes(f.cache.paths(d.Digest).blob, at, at); err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	return ds
}

func TestCacheListPruneClear(t *testing.T) {
	t.Parallel()
	f := newFetcher(t, t.TempDir(), WithMaxBytes(0))
	ds := fillCache(t, f, 3)
	c := f.Cache()

	entries, err := c.List()
	if err != nil || len(entries) != 3 {
		t.Fatalf("List() = %+v, %v; want 3 entries", entries, err)
	}
	for i, e := range entries {
		if e.Digest != ds[i].Digest || !e.Complete || e.Size != ds[i].Size || e.Stored != e.Size {
			t.Errorf("entry %d = %+v, want the complete blob %s, oldest first", i, e, ds[i].Digest)
		}
	}

	freed, err := c.Prune(ds[1].Size + ds[2].Size)
	if err != nil || freed != ds[0].Size {
		t.Errorf("Prune() = %d, %v; want the oldest blob's %d bytes freed", freed, err, ds[0].Size)
	}
	if entries, _ := c.List(); len(entries) != 2 || entries[0].Digest != ds[1].Digest {
		t.Errorf("after Prune, List() = %+v; want the two newest", entries)
	}

	if err := c.Clear(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := c.List(); len(entries) != 0 {
		t.Errorf("after Clear, List() = %+v", entries)
	}
}

func TestCacheSparesWhatIsInUse(t *testing.T) {
	t.Parallel()
	f := newFetcher(t, t.TempDir(), WithMaxBytes(0))
	ds := fillCache(t, f, 2)
	c := f.Cache()

	// A blob handed out and not closed stays.
	b, err := f.Fetch(context.Background(), nil, ds[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Prune(0); err != nil {
		t.Fatal(err)
	}
	if entries, _ := c.List(); len(entries) != 1 || entries[0].Digest != ds[0].Digest {
		t.Errorf("after Prune(0) with a blob open, List() = %+v; want that blob", entries)
	}
	b.Close()

	// A partial blob being fetched (locked) survives Clear; Prune keeps
	// partial blobs for their fetches to resume.
	blob, d := testBlob(70, 2<<20)
	writePartial(t, c.dir, d, blob, spanSet{{0, 1 << 20}}, 0)
	lk, err := lockFile(context.Background(), c.paths(d.Digest).lock, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Clear(); err != nil {
		t.Fatal(err)
	}
	entries, _ := c.List()
	if len(entries) != 1 || entries[0].Digest != d.Digest || entries[0].Complete || entries[0].Stored != 1<<20 || entries[0].Size != d.Size {
		t.Errorf("after Clear with a fetch running, List() = %+v; want its partial blob", entries)
	}
	unlockFile(lk)
	if _, err := c.Prune(0); err != nil {
		t.Fatal(err)
	}
	if entries, _ := c.List(); len(entries) != 1 {
		t.Errorf("Prune removed a partial blob: List() = %+v", entries)
	}
	if err := c.Clear(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := c.List(); len(entries) != 0 {
		t.Errorf("after Clear, List() = %+v", entries)
	}
}

func TestFetchKeepsTheCacheBounded(t *testing.T) {
	t.Parallel()
	srv := newBlobServer(t, faults{})
	f := newFetcher(t, t.TempDir(), WithMaxBytes(3<<20))
	var ds []ocispec.Descriptor
	for i := range 3 {
		blob, d := testBlob(uint64(80+i), 2<<20)
		srv.add(blob, d)
		fetchOK(t, f, srv.source(), d, blob)
		ds = append(ds, d)
		// Distinct use times, whatever the file system's resolution.
		at := time.Now().Add(time.Duration(i-3) * time.Hour)
		os.Chtimes(f.cache.paths(d.Digest).blob, at, at)
	}
	entries, err := f.Cache().List()
	if err != nil || len(entries) != 1 || entries[0].Digest != ds[2].Digest {
		t.Errorf("List() = %+v, %v; want only the last blob in a 3 MiB cache", entries, err)
	}
}

func TestDefaultDir(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("XDG_CACHE_HOME is a Linux convention")
	}
	t.Setenv("XDG_CACHE_HOME", "/somewhere")
	if got, err := DefaultDir(); err != nil || got != "/somewhere/ferry/blobs" {
		t.Errorf("DefaultDir() = %q, %v", got, err)
	}
}
