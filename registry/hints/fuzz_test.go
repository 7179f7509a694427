package hints

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/opencontainers/go-digest"
)

// FuzzStore feeds the hints file whatever another process, an older
// version or a broken disk may have left in it: no panic, and a hint
// recorded on top of it is saved and read back by a fresh store.
func FuzzStore(f *testing.F) {
	d := digest.FromString("blob")
	f.Add([]byte(`{"version":1,"hosts":{"r.example":{"maxBody":1024,"blobs":{"` + d.String() + `":{"repos":["a","b"],"seen":1}}}}}`))
	f.Add([]byte(`{"version":1,"hosts":{"r.example":null}}`))
	f.Add([]byte(`{"version":1,"hosts":{"r.example":{"blobs":{"` + d.String() + `":null}}}}`))
	f.Add([]byte(`{"version":1,"hosts":{"r.example":{"blobs":{"x":{"repos":null,"seen":-1}}}}}`))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, content []byte) {
		path := filepath.Join(t.TempDir(), "hints.json")
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		s := Open(path, nil)
		_ = s.Repos("r.example", d)
		_ = s.MaxBody("r.example")
		s.Record("r.example", d, "mirror/app")
		s.SetMaxBody("r.example", 4096)
		s.Forget("r.example", digest.FromString("other"), "a")
		if err := s.Save(context.Background()); err != nil {
			t.Fatalf("Save over %q: %v", content, err)
		}
		back := Open(path, nil)
		if repos := back.Repos("r.example", d); !slices.Contains(repos, "mirror/app") {
			t.Fatalf("after saving over %q, the recorded repository is missing: %v", content, repos)
		}
		if got := back.MaxBody("r.example"); got != 4096 {
			t.Fatalf("after saving over %q, MaxBody = %d, want 4096", content, got)
		}
	})
}
