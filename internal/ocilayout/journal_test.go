package ocilayout

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferrytool/ferry/internal/fsutil"
	"github.com/ferrytool/ferry/manifest"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// newLayout makes a layout holding one image (manifest, config, layer)
// named "kept", and returns the digests of its three blobs.
func newLayout(t *testing.T) (*Layout, []digest.Digest) {
	t.Helper()
	ctx := context.Background()
	l := At(t.TempDir())
	if err := l.Init(); err != nil {
		t.Fatal(err)
	}
	config, layer := put(t, l, "config"), put(t, l, "layer")
	mf := ocispec.Manifest{
		MediaType: manifest.MediaTypeOCIManifest,
		Config:    ocispec.Descriptor{MediaType: manifest.MediaTypeOCIConfig, Digest: config, Size: 6},
		Layers:    []ocispec.Descriptor{{MediaType: manifest.MediaTypeOCILayer, Digest: layer, Size: 5}},
	}
	mf.SchemaVersion = 2
	m, err := json.Marshal(mf)
	if err != nil {
		t.Fatal(err)
	}
	md := digest.FromBytes(m)
	if err := l.Blobs.PutBytes(ctx, md, m); err != nil {
		t.Fatal(err)
	}
	ix := NewIndex()
	AddEntry(ix, ocispec.Descriptor{MediaType: manifest.MediaTypeOCIManifest, Digest: md, Size: int64(len(m))}, "kept")
	if err := l.WriteIndex(ix); err != nil {
		t.Fatal(err)
	}
	return l, []digest.Digest{md, config, layer}
}

func put(t *testing.T, l *Layout, content string) digest.Digest {
	t.Helper()
	d := digest.FromString(content)
	if err := l.Blobs.Put(context.Background(), ocispec.Descriptor{Digest: d, Size: int64(len(content))}, bytes.NewReader([]byte(content))); err != nil {
		t.Fatal(err)
	}
	return d
}

func exists(t *testing.T, l *Layout, d digest.Digest) bool {
	t.Helper()
	ok, err := l.Blobs.Has(context.Background(), ocispec.Descriptor{Digest: d, Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestRollback: a writer's rollback removes what it added and nothing an
// image or another writer needs.
func TestRollback(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l, kept := newLayout(t)
	a, err := l.NewJournal()
	if err != nil {
		t.Fatal(err)
	}
	b, err := l.NewJournal()
	if err != nil {
		t.Fatal(err)
	}
	var mine, shared digest.Digest
	for _, c := range []struct {
		j       *Journal
		d       *digest.Digest
		content string
	}{{a, &mine, "mine"}, {a, &shared, "shared"}} {
		*c.d = digest.FromString(c.content)
		if err := c.j.Claim(*c.d); err != nil {
			t.Fatal(err)
		}
		put(t, l, c.content)
	}
	if err := b.Claim(shared); err != nil { // b found it and relies on it
		t.Fatal(err)
	}
	for _, d := range kept {
		if err := a.Claim(d); err != nil { // a found the kept image's blobs
			t.Fatal(err)
		}
	}
	n, err := a.Rollback(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 || exists(t, l, mine) {
		t.Errorf("Rollback removed %d blobs (mine still there: %v), want 1: only the blob no one needs", n, exists(t, l, mine))
	}
	if !exists(t, l, shared) {
		t.Error("Rollback removed a blob another writer claimed")
	}
	for _, d := range kept {
		if !exists(t, l, d) {
			t.Errorf("Rollback removed %s, which index.json's image needs", d)
		}
	}
	if _, err := os.Stat(a.dir); !os.IsNotExist(err) {
		t.Error("the journal is left after Rollback")
	}
}

// TestRecoverStale: the journal of a writer that is gone is rolled back by
// the next writer; a live writer's is left alone.
func TestRecoverStale(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l, _ := newLayout(t)
	orphan := put(t, l, "orphan")
	dead := filepath.Join(l.Root, fsutil.TempPrefix+"999999999-1")
	if err := os.Mkdir(dead, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dead, journalEntry(orphan)), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	live, err := l.NewJournal()
	if err != nil {
		t.Fatal(err)
	}
	claimed := put(t, l, "claimed")
	if err := live.Claim(claimed); err != nil {
		t.Fatal(err)
	}
	n, err := l.RecoverStale(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 || exists(t, l, orphan) {
		t.Errorf("RecoverStale removed %d blobs, want the dead writer's one", n)
	}
	if !exists(t, l, claimed) {
		t.Error("RecoverStale removed a live writer's blob")
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Error("the dead writer's journal is left")
	}
	if _, err := os.Stat(live.dir); err != nil {
		t.Error("the live writer's journal was removed")
	}
}
