package copier_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/fetch"
	"github.com/ferrytool/ferry/internal/testenv"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/progress"
	"github.com/ferrytool/ferry/progress/display"
)

// byteClasses is the summary a JSON progress renderer closes with: bytes
// transferred from the source, reused from the blob cache, already
// present at the destination.
type byteClasses struct {
	Blobs   int   `json:"blobs"`
	Bytes   int64 `json:"bytes"`
	Cached  int64 `json:"cached_bytes"`
	Present int64 `json:"present"`
}

// copyWithSummary copies with a JSON renderer on both the copier and the
// Fetcher, as the CLI wires them, and returns the summary.
func copyWithSummary(t *testing.T, ctx context.Context, src, dst string, newFetcher func(progress.Reporter) *fetch.Fetcher) (byteClasses, error) {
	t.Helper()
	var buf bytes.Buffer
	var mu sync.Mutex
	j := display.NewJSON(lockedWriter{&mu, &buf})
	o := insecure
	o.Progress = j
	o.Fetcher = newFetcher(j)
	_, err := copier.Copy(ctx, parse(t, src), parse(t, dst), o)
	j.Close()
	var sum byteClasses
	sc := bufio.NewScanner(strings.NewReader(buf.String()))
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"event":"summary"`) {
			if jerr := json.Unmarshal(sc.Bytes(), &sum); jerr != nil {
				t.Fatal(jerr)
			}
		}
	}
	return sum, err
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// servedCounter counts the blob bytes a registry serves, those of the blob
// big apart; with cut set, it serves only the first cut bytes of big and
// then ends the response short (the server then closes the connection: a
// link that broke mid-blob).
type servedCounter struct {
	total atomic.Int64
	big   string
	bigN  atomic.Int64
	cut   atomic.Int64
}

func (c *servedCounter) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") {
			w = &servedWriter{ResponseWriter: w, c: c, big: c.big != "" && strings.HasSuffix(r.URL.Path, c.big)}
		}
		h.ServeHTTP(w, r)
	})
}

type servedWriter struct {
	http.ResponseWriter
	c   *servedCounter
	big bool
}

func (w *servedWriter) Write(b []byte) (int, error) {
	short := false
	if cut := w.c.cut.Load(); w.big && cut > 0 {
		if left := cut - w.c.bigN.Load(); int64(len(b)) > left {
			b, short = b[:max(left, 0)], true
		}
	}
	n, err := w.ResponseWriter.Write(b)
	w.c.total.Add(int64(n))
	if w.big {
		w.c.bigN.Add(int64(n))
	}
	if err == nil && short {
		err = io.ErrClosedPipe
	}
	return n, err
}

func imageBytes(img *testimage.Image) int64 {
	var n int64
	for _, b := range img.Blobs {
		n += int64(len(b))
	}
	return n
}

// TestSummaryReuseFromCache: a copy whose large layer the blob cache
// already holds says so (it said "Copied 6 blobs (1.0 KiB)" after linking
// 3.3 MiB from the cache), counts as transferred exactly what the
// registry served, and a copy into a destination that has everything
// counts it all as present.
func TestSummaryReuseFromCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var count servedCounter
	reg := testregistry.New(t, testregistry.Options{Wrap: count.wrap})
	img := testimage.New(testimage.Options{LayerSizes: []int{3 << 20, 1000}, Seed: 31})
	reg.Push(t, "app", "1", img)
	cacheDir := t.TempDir()
	newFetcher := func(r progress.Reporter) *fetch.Fetcher {
		f, err := fetch.New(fetch.WithDir(cacheDir), fetch.WithProgress(r))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	big := img.Layers[0]
	if big.Size < 1<<20 {
		t.Fatalf("the large layer is %d bytes: too small for the cache", big.Size)
	}
	src := "docker://" + reg.Ref("app:1")
	total := imageBytes(img)
	steps := []struct {
		name                     string
		dst                      string
		transferred, cached, has int64
	}{
		{"first copy", "oci:" + filepath.Join(t.TempDir(), "a") + ":1", total, 0, 0},
		{"from the cache", "oci:" + filepath.Join(t.TempDir(), "b") + ":1", total - big.Size, big.Size, 0},
	}
	steps = append(steps, struct {
		name                     string
		dst                      string
		transferred, cached, has int64
	}{"already present", steps[1].dst, 0, 0, total})
	for _, s := range steps {
		count.total.Store(0)
		sum, err := copyWithSummary(t, ctx, src, s.dst, newFetcher)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if sum.Bytes != s.transferred || sum.Cached != s.cached || sum.Present != s.has || sum.Blobs != 3 {
			t.Errorf("%s: summary %+v; want 3 blobs, %d transferred, %d from the cache, %d present", s.name, sum, s.transferred, s.cached, s.has)
		}
		if served := count.total.Load(); served != sum.Bytes {
			t.Errorf("%s: the registry served %d blob bytes, the summary says %d transferred", s.name, served, sum.Bytes)
		}
	}
}

// TestSummaryAfterResume: a copy cut off mid-layer and run again says
// how much it resumed from the blob cache and how much it transferred (it
// counted the resumed bytes as moved: "Copied 4 blobs (1006.9 MiB)" after
// moving 607 MB); the two add up to the image, and the transferred bytes
// are exactly what the registry served the second time.
func TestSummaryAfterResume(t *testing.T) {
	t.Parallel()
	var count servedCounter
	reg := testregistry.New(t, testregistry.Options{Wrap: count.wrap})
	img := testimage.New(testimage.Options{LayerSizes: []int{6 << 20, 1000}, Seed: 32})
	reg.Push(t, "app", "1", img)
	big := img.Layers[0]
	count.big = big.Digest.String()
	cacheDir := t.TempDir()
	newFetcher := func(r progress.Reporter) *fetch.Fetcher {
		// One connection, no retry: the first run fails where the link
		// breaks, keeping exactly the bytes that came.
		f, err := fetch.New(fetch.WithDir(cacheDir), fetch.WithConnections(1), fetch.WithRetries(0, time.Millisecond),
			fetch.WithProgress(r))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	src := "docker://" + reg.Ref("app:1")

	cut := big.Size / 3
	count.cut.Store(cut)
	if _, err := copyWithSummary(t, context.Background(), src, "oci:"+filepath.Join(t.TempDir(), "a")+":1", newFetcher); err == nil {
		t.Fatal("the copy over a link that broke succeeded")
	}
	count.cut.Store(0)
	count.total.Store(0)
	count.bigN.Store(0)
	sum, err := copyWithSummary(t, context.Background(), src, "oci:"+filepath.Join(t.TempDir(), "b")+":1", newFetcher)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Cached != cut {
		t.Fatalf("summary %+v: want the %d bytes the first run got resumed from the cache", sum, cut)
	}
	if sum.Bytes+sum.Cached != imageBytes(img) || sum.Blobs != 3 || sum.Present != 0 {
		t.Errorf("summary %+v: transferred and resumed should add up to the image's %d bytes in 3 blobs", sum, imageBytes(img))
	}
	if served := count.total.Load(); served != sum.Bytes {
		t.Errorf("the registry served %d blob bytes, the summary says %d transferred", served, sum.Bytes)
	}
	if got := count.bigN.Load(); got+sum.Cached != big.Size {
		t.Errorf("the registry served %d bytes of the large layer and %d came from the cache; want %d in all", got, sum.Cached, big.Size)
	}
}

// queuedAtStart records, at the first blob that starts, the bytes of the
// blobs queued so far.
type queuedAtStart struct {
	mu      sync.Mutex
	queued  map[string]int64
	atStart int64
	started bool
}

func (q *queuedAtStart) Report(e progress.Event) {
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case e.Kind == progress.Queued:
		q.queued[e.Descriptor.Digest.String()] = e.Descriptor.Size
	case e.Kind == progress.Started && !q.started:
		q.started = true
		for _, n := range q.queued {
			q.atStart += n
		}
	}
}

// TestTotalKnownForSequentialDestination: a docker-archive takes blobs one
// at a time, and the total counted only the blobs begun (60% and "ETA 6s"
// at 26% done); every blob is queued before the first starts.
func TestTotalKnownForSequentialDestination(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{})
	img := testimage.New(testimage.Options{LayerSizes: []int{200 << 10, 100 << 10, 1000}, Seed: 33})
	reg.Push(t, "app", "1", img)
	rec := &queuedAtStart{queued: map[string]int64{}}
	o := insecure
	o.Progress = rec
	dst := "docker-archive:" + filepath.Join(t.TempDir(), "app.tar") + ":app:1"
	if _, err := copier.Copy(context.Background(), parse(t, "docker://"+reg.Ref("app:1")), parse(t, dst), o); err != nil {
		t.Fatal(err)
	}
	if want := imageBytes(img); rec.atStart != want {
		t.Errorf("when the first blob started, %d bytes were queued; want the image's %d", rec.atStart, want)
	}
}

// TestStatusLinesMatchSkopeo: in plain mode ferry writes skopeo's status
// lines, the same set skopeo 1.9 writes for the same copy (ferry copies
// blobs and instances concurrently, so the order may differ), for an
// image and for an index copied with --all.
func TestStatusLinesMatchSkopeo(t *testing.T) {
	t.Parallel()
	skopeo := testenv.NeedCommand(t, "skopeo")
	sample, err := filepath.Abs("../testdata/sample")
	if err != nil {
		t.Fatal(err)
	}
	for _, all := range []bool{false, true} {
		t.Run(map[bool]string{false: "image", true: "all"}[all], func(t *testing.T) {
			t.Parallel()
			args := []string{"copy"}
			o := insecure
			if all {
				args = append(args, "--all")
				o.MultiArch = copier.All
			}
			out, err := exec.Command(skopeo, append(args, "oci:"+sample+":latest", "dir:"+filepath.Join(t.TempDir(), "s"))...).CombinedOutput()
			if err != nil {
				t.Fatalf("skopeo: %v\n%s", err, out)
			}
			want := strings.Split(strings.TrimSpace(string(out)), "\n")

			var buf bytes.Buffer
			var mu sync.Mutex
			p := display.NewPlain(lockedWriter{&mu, &buf}, time.Hour)
			o.Progress = p
			if _, err := copier.Copy(context.Background(), parse(t, "oci:"+sample+":latest"), parse(t, "dir:"+filepath.Join(t.TempDir(), "f")), o); err != nil {
				t.Fatal(err)
			}
			p.Close()
			var got []string
			for _, l := range strings.Split(buf.String(), "\n") {
				for _, phrase := range skopeoPhrases {
					if strings.HasPrefix(l, phrase) {
						got = append(got, l)
						break
					}
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("status lines\n%s\nwant skopeo's\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// skopeoPhrases begin skopeo's status lines.
var skopeoPhrases = []string{"Getting image ", "Copying blob ", "Copying config ", "Copying image ", "Writing manifest ", "Storing ", "Copying "}

// stepRecorder keeps the steps of a copy and the kinds of all its events.
type stepRecorder struct {
	mu    sync.Mutex
	steps []progress.Step
	kinds []progress.Kind
}

func (r *stepRecorder) Report(e progress.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.Kind == progress.ImageStep {
		r.steps = append(r.steps, e.Step)
	}
	r.kinds = append(r.kinds, e.Kind)
}

// TestStepsOfACopy: a single-image copy announces its steps in skopeo's
// order and then the commit (the step that took 73 s in silence while the
// Docker daemon imported an image), before the image is done.
func TestStepsOfACopy(t *testing.T) {
	t.Parallel()
	sample, err := filepath.Abs("../testdata/sample")
	if err != nil {
		t.Fatal(err)
	}
	var rec stepRecorder
	o := insecure
	o.Progress = &rec
	if _, err := copier.Copy(context.Background(), parse(t, "oci:"+sample+":latest"), parse(t, "dir:"+filepath.Join(t.TempDir(), "d")), o); err != nil {
		t.Fatal(err)
	}
	want := []progress.Step{progress.StepSignatures, progress.StepManifest, progress.StepStoreSignatures, progress.StepCommit}
	if !slices.Equal(rec.steps, want) {
		t.Errorf("steps %v, want %v", rec.steps, want)
	}
	if last := rec.kinds[len(rec.kinds)-1]; last != progress.ImageDone {
		t.Errorf("last event %v, want ImageDone after the commit", last)
	}
}
