package hints

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
)

func dg(i int) digest.Digest { return digest.FromString(fmt.Sprint(i)) }

// TestRecordAndReadBack: what one store records and saves, another reads.
func TestRecordAndReadBack(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sub", "hints.json")
	s := Open(path, nil)
	for _, repo := range []string{"a", "b", "c", "d", "e", "b"} {
		s.Record("reg:5000", dg(1), repo)
	}
	s.Record("other", dg(1), "x")
	s.SetMaxBody("reg:5000", 8<<20)
	s.Forget("reg:5000", dg(1), "e")
	if err := s.Save(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := Open(path, nil)
	if got, want := r.Repos("reg:5000", dg(1)), []string{"b", "d", "c"}; !slices.Equal(got, want) {
		t.Errorf("Repos: got %q, want %q (most recent first, at most %d, e forgotten)", got, want, MaxRepos)
	}
	if got := r.Repos("other", dg(1)); !slices.Equal(got, []string{"x"}) {
		t.Errorf("Repos on another host: got %q", got)
	}
	if got := r.Repos("reg:5000", dg(2)); got != nil {
		t.Errorf("Repos of an unknown blob: got %q", got)
	}
	if got := r.MaxBody("reg:5000"); got != 8<<20 {
		t.Errorf("MaxBody: got %d, want %d", got, 8<<20)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("file mode: %v, %v; want 0600", st, err)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".ferry-tmp-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left behind: %q", left)
	}
}

// TestSaveMerges: two stores opened on the same file (two processes) both
// keep their records: saving merges with what is on disk.
func TestSaveMerges(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hints.json")
	a, b := Open(path, nil), Open(path, nil)
	a.Repos("h", dg(0)) // both read the (missing) file first
	b.Repos("h", dg(0))
	a.Record("h", dg(1), "from-a")
	b.Record("h", dg(2), "from-b")
	b.Record("h", dg(1), "b-too")
	for _, s := range []*Store{a, b} {
		if err := s.Save(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	r := Open(path, nil)
	if got := r.Repos("h", dg(1)); !slices.Equal(got, []string{"b-too", "from-a"}) {
		t.Errorf("blob 1: got %q", got)
	}
	if got := r.Repos("h", dg(2)); !slices.Equal(got, []string{"from-b"}) {
		t.Errorf("blob 2: got %q", got)
	}
}

// TestBounds: the file keeps at most MaxBlobs blobs, the most recent, and
// drops hints past their age.
func TestBounds(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hints.json")
	now := time.Unix(1_800_000_000, 0)
	s := Open(path, nil)
	s.now = func() time.Time { return now }
	for i := 0; i < MaxBlobs+50; i++ {
		now = now.Add(time.Second)
		s.Record("h", dg(i), "r")
	}
	s.SetMaxBody("h", 1<<20)
	if err := s.Save(context.Background()); err != nil {
		t.Fatal(err)
	}
	var f file
	b, _ := os.ReadFile(path)
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if n := len(f.Hosts["h"].Blobs); n != MaxBlobs {
		t.Fatalf("%d blobs kept, want %d", n, MaxBlobs)
	}
	if _, ok := f.Hosts["h"].Blobs[dg(0).String()]; ok {
		t.Error("the oldest blob was kept")
	}
	if _, ok := f.Hosts["h"].Blobs[dg(MaxBlobs+49).String()]; !ok {
		t.Error("the newest blob was dropped")
	}

	later := Open(path, nil)
	later.now = func() time.Time { return now.Add(bodyTTL + time.Hour) }
	if got := later.MaxBody("h"); got != 0 {
		t.Errorf("MaxBody past its age: %d, want 0", got)
	}
	if got := later.Repos("h", dg(MaxBlobs+49)); len(got) != 1 {
		t.Errorf("a blob hint younger than its age: %q", got)
	}
	much := Open(path, nil)
	much.now = func() time.Time { return now.Add(blobTTL + time.Hour) }
	if got := much.Repos("h", dg(MaxBlobs+49)); got != nil {
		t.Errorf("a blob hint past its age: %q", got)
	}
}

// TestUnusableFiles: a corrupt, foreign or oversized file means no hints,
// never an error, and the next save replaces it.
func TestUnusableFiles(t *testing.T) {
	t.Parallel()
	for name, content := range map[string][]byte{
		"corrupt":   []byte("{not json"),
		"version":   []byte(`{"version":99,"hosts":{"h":{"blobs":{}}}}`),
		"oversized": make([]byte, maxFileSize+1),
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "hints.json")
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			s := Open(path, nil)
			if got := s.Repos("h", dg(1)); got != nil {
				t.Fatalf("Repos: %q", got)
			}
			s.Record("h", dg(1), "r")
			if err := s.Save(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := Open(path, nil).Repos("h", dg(1)); !slices.Equal(got, []string{"r"}) {
				t.Fatalf("after save: %q", got)
			}
		})
	}
	// A nil store (hints off) does nothing.
	var s *Store
	s.Record("h", dg(1), "r")
	if s.Repos("h", dg(1)) != nil || s.MaxBody("h") != 0 || s.Save(context.Background()) != nil {
		t.Fatal("a nil store answered")
	}
	// A directory that cannot be written: Save reports it, nothing panics.
	ro := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(ro, 0o500); err != nil {
		t.Fatal(err)
	}
	if os.Getuid() != 0 {
		s := Open(filepath.Join(ro, "x", "hints.json"), nil)
		s.Record("h", dg(1), "r")
		if err := s.Save(context.Background()); err == nil {
			t.Fatal("Save into a read-only directory: no error")
		}
	}
}
