package mirror_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/mirror"
	"github.com/ferrytool/ferry/progress"
	"github.com/ferrytool/ferry/registry"
	"github.com/ferrytool/ferry/transport/docker"
	"github.com/google/go-cmp/cmp"
)

// countingReporter counts image events by kind.
type countingReporter struct {
	mu sync.Mutex
	n  map[progress.Kind]int
}

func (c *countingReporter) Report(e progress.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[progress.Kind]int{}
	}
	c.n[e.Kind]++
}

// TestSyncDirInPlace mirrors a repository into a dir: tree, several
// images at once over one registry pool, then changes one tag at the
// source and syncs again: the tree is updated in place, only the changed
// image is copied, and results arrive in plan order each time.
func TestSyncDirInPlace(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{})
	var tags []string
	for i := range 10 {
		tag := fmt.Sprintf("t%02d", i)
		tags = append(tags, tag)
		reg.Push(t, "lib/app", tag, testimage.New(testimage.Options{Seed: int64(i)}))
	}
	out := filepath.Join(t.TempDir(), "tree")
	run := func() ([]mirror.Result, *countingReporter) {
		t.Helper()
		pool := registry.NewPool(registry.PoolOptions{NoHints: true})
		defer pool.Close()
		var got []mirror.Result
		rep := &countingReporter{}
		o := mirror.Options{
			Source: mirror.Docker, Destination: mirror.Dir,
			SourceDocker: docker.Config{Insecure: true, Pool: pool},
			Images:       4, Transfers: 3,
			OnResult: func(r mirror.Result) { got = append(got, r) },
		}
		o.Copy.Progress = rep
		sum, err := mirror.Sync(context.Background(), reg.Host()+"/lib/app", out, o)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(sum.Results, got, cmpErr); diff != "" {
			t.Errorf("OnResult and Summary differ:\n%s", diff)
		}
		for i, r := range got {
			if want := "dir:" + filepath.Join(out, "app:"+tags[i]); r.Destination != want {
				t.Errorf("result %d is %s, want %s (plan order)", i, r.Destination, want)
			}
		}
		return got, rep
	}
	first, _ := run()
	for _, r := range first {
		if r.Status != mirror.Copied || r.Bytes == 0 {
			t.Errorf("first sync: %s %s, %d bytes", r.Source, r.Status, r.Bytes)
		}
	}
	pings := 0
	for _, r := range reg.Requests() {
		if r.Path == "/v2/" {
			pings++
		}
	}
	if pings != 1 {
		t.Errorf("the registry was pinged %d times, want once for the whole sync", pings)
	}

	changed := testimage.New(testimage.Options{Seed: 99})
	reg.Push(t, "lib/app", "t03", changed)
	reg.ResetRequests()
	second, rep := run()
	for i, r := range second {
		want := mirror.Skipped
		if tags[i] == "t03" {
			want = mirror.Copied
		}
		if r.Status != want {
			t.Errorf("re-sync: %s %s, want %s", r.Source, r.Status, want)
		}
	}
	if rep.n[progress.ImageSkipped] != 9 || rep.n[progress.ImageDone] != 1 {
		t.Errorf("re-sync progress: %v, want 9 skipped and 1 done", rep.n)
	}
	b, err := os.ReadFile(filepath.Join(out, "app:t03", "manifest.json"))
	if err != nil || string(b) != string(changed.Manifest) {
		t.Errorf("app:t03 was not updated in place: %v", err)
	}
	for _, r := range reg.Requests() {
		if r.Method == http.MethodGet && r.Path == fmt.Sprintf("/v2/lib/app/manifests/%s", "t05") {
			t.Errorf("an unchanged image's manifest was fetched: %s", r.Path)
		}
	}
}

var cmpErr = cmp.Comparer(func(a, b error) bool { return a == b })

// TestSyncIndexWithoutAll re-syncs a multi-platform image copied without
// --all: the destination holds the instance for this platform, not the
// index the source's tag names, so the one-HEAD check cannot match; the
// copier's own check (source manifests read, one HEAD at the destination)
// still skips it without moving a blob.
func TestSyncIndexWithoutAll(t *testing.T) {
	t.Parallel()
	src := testregistry.New(t, testregistry.Options{})
	dst := testregistry.New(t, testregistry.Options{})
	src.PushIndex(t, "lib/multi", "1", testimage.NewIndex(false,
		manifest.Platform{OS: "linux", Architecture: "amd64"}, manifest.Platform{OS: "linux", Architecture: "arm64"}))
	o := mirror.Options{
		Source: mirror.Docker, Destination: mirror.Docker,
		SourceDocker: docker.Config{Insecure: true, NoRegistryHints: true}, DestinationDocker: docker.Config{Insecure: true, NoRegistryHints: true},
	}
	o.Copy.Platform = manifest.Platform{OS: "linux", Architecture: "arm64"}
	for i, want := range []mirror.Status{mirror.Copied, mirror.Skipped} {
		src.ResetRequests()
		dst.ResetRequests()
		sum, err := mirror.Sync(context.Background(), src.Host()+"/lib/multi", dst.Host()+"/m", o)
		if err != nil {
			t.Fatal(err)
		}
		if got := sum.Results[0].Status; got != want {
			t.Errorf("run %d: %s, want %s", i+1, got, want)
		}
	}
	for _, r := range src.Requests() {
		if r.Method == http.MethodGet && strings.Contains(r.Path, "/blobs/") {
			t.Errorf("the re-sync fetched a blob: %s", r.Path)
		}
	}
	for _, r := range dst.Requests() {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			t.Errorf("the re-sync wrote to the destination: %s %s", r.Method, r.Path)
		}
	}
}
