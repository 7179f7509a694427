package cli

import (
	"encoding/json"
	"testing"

	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
)

// TestBlobCache: a copy with --blob-cache keeps its large download there,
// `cache list` shows it, and `cache clear` empties it.
func TestBlobCache(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{})
	img := testimage.New(testimage.Options{LayerSizes: []int{4 << 20}})
	reg.Push(t, "big", "1", img)
	cache := t.TempDir()
	list := func() []struct {
		Digest   string
		Complete bool
	} {
		t.Helper()
		stdout, stderr, code := runCLI(t, "cache", "list", "--blob-cache", cache)
		if code != 0 {
			t.Fatalf("cache list: exit %d: %s", code, stderr)
		}
		var rows []struct {
			Digest   string
			Complete bool
		}
		if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
			t.Fatalf("cache list printed %q: %v", stdout, err)
		}
		return rows
	}
	if rows := list(); len(rows) != 0 {
		t.Fatalf("a new cache lists %v", rows)
	}
	dst := "oci:" + t.TempDir() + ":1"
	if _, stderr, code := runCLI(t, "copy", "--src-tls-verify=false", "--blob-cache", cache, "docker://"+reg.Ref("big:1"), dst); code != 0 {
		t.Fatalf("copy: exit %d: %s", code, stderr)
	}
	rows := list()
	if len(rows) != 1 || rows[0].Digest != img.Layers[0].Digest.String() || !rows[0].Complete {
		t.Fatalf("cache after the copy: %+v, want the layer %s complete", rows, img.Layers[0].Digest)
	}
	if _, stderr, code := runCLI(t, "cache", "clear", "--blob-cache", cache); code != 0 {
		t.Fatalf("cache clear: exit %d: %s", code, stderr)
	}
	if rows := list(); len(rows) != 0 {
		t.Errorf("cache after clear: %v", rows)
	}
	if _, _, code := runCLI(t, "copy", "--connections", "0", "--src-tls-verify=false", "docker://"+reg.Ref("big:1"), dst); code != 1 {
		t.Errorf("--connections 0: exit %d, want 1", code)
	}
}
