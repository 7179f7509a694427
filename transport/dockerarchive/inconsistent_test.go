package dockerarchive_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/archive/tartest"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
)

// A gzip layer whose content is not what the config's diff ID says is
// refused, read as a file or as a stream, as docker load and skopeo
// refuse it (ferry copied it with exit 0). Plain layers were already
// checked; this is the compressed case, checked as the layer passes.
func TestCompressedLayerDiffIDChecked(t *testing.T) {
	t.Parallel()
	l := newLegacySized(t, 71, []int{200 << 10, 100}, "app:1")
	other := newLegacySized(t, 72, []int{200 << 10}).Layers[0]
	for i, m := range l.Members {
		if m.Name == l.Item["Layers"].([]string)[0] {
			l.Members[i] = tartest.File(m.Name, tartest.Gzip(t, other))
		}
	}
	good := newLegacySized(t, 71, []int{200 << 10, 100}, "app:1")
	for i, m := range good.Members {
		if m.Name == good.Item["Layers"].([]string)[0] {
			good.Members[i] = tartest.File(m.Name, tartest.Gzip(t, m.Body))
		}
	}
	for name, tc := range map[string]struct {
		b    []byte
		want error
	}{
		"mismatch": {legacyArchive(t, l), errdefs.ErrDigestMismatch},
		"matching": {legacyArchive(t, good), nil},
	} {
		file, streamed, ferr, serr := readBoth(t, tc.b, "")
		if !errors.Is(ferr, tc.want) || !errors.Is(serr, tc.want) {
			t.Errorf("%s: file: %v; stream: %v; want %v", name, ferr, serr, tc.want)
		}
		if tc.want == nil && ferr == nil && serr == nil {
			for i, r := range []*read{file, streamed} {
				if !bytes.Equal(r.Blobs[r.Image.Layers[0].Digest], good.Layers[0]) {
					t.Errorf("%s %d: layer 0 is not served decompressed", name, i)
				}
			}
		}
	}
}

// noise is n bytes that look like neither JSON nor a compressed stream.
func noise(seed int64, n int) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	b[0] = 'x'
	return b
}

// Members the manifest does not name never reach the destination from a
// stream: 50 large junk members beside a valid image (which ended up as
// orphan blobs in an existing layout) are not handed to put, and a layer
// at a path docker save never uses is still found, held until
// manifest.json names it.
func TestStreamPutsOnlyNamedMembers(t *testing.T) {
	t.Parallel()
	l := newLegacySized(t, 73, []int{150 << 10, 100}, "app:1")
	var junk []digest.Digest
	for i := range 50 {
		b := noise(int64(i), 70<<10)
		junk = append(junk, digest.FromBytes(b))
		l.Members = append(l.Members, tartest.File(fmt.Sprintf("junk/%02d.bin", i), b))
	}
	// Move the large layer to an unusual path.
	layers := l.Item["Layers"].([]string)
	for i, m := range l.Members {
		if m.Name == layers[0] {
			l.Members[i] = tartest.File("odd/place.tar", m.Body)
		}
	}
	l.Item["Layers"] = []string{"odd/place.tar", layers[1]}
	raw := legacyArchive(t, l)

	src, err := parse(t, "-").NewSource(context.Background(), &transport.Options{Stdin: bytes.NewReader(raw), TmpDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var mp memPut
	mb, _, err := src.(transport.StreamSource).Stream(context.Background(), mp.put)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Config struct{ Digest digest.Digest }
		Layers []struct{ Digest digest.Digest }
	}
	if err := json.Unmarshal(mb, &m); err != nil {
		t.Fatal(err)
	}
	want := map[digest.Digest]bool{m.Config.Digest: true}
	for i, d := range m.Layers {
		want[d.Digest] = true
		if !bytes.Equal(mp.blobs[d.Digest], l.Layers[i]) {
			t.Errorf("layer %d: put %d bytes, want the archive's layer", i, len(mp.blobs[d.Digest]))
		}
	}
	for d := range mp.blobs {
		if !want[d] {
			t.Errorf("put %s, which the manifest does not name", d)
		}
	}
	for _, d := range junk {
		if _, ok := mp.blobs[d]; ok {
			t.Errorf("junk member %s was put", d)
		}
	}
}

// A small layer kept in memory while streaming is checked against its
// diff ID before it is put: a mismatch reaches no destination.
func TestHeldLayerCheckedBeforePut(t *testing.T) {
	t.Parallel()
	l := newLegacy(t, 74, "app:1")
	bad := append(bytes.Clone(l.Layers[0][:len(l.Layers[0])-1]), 'X')
	for i, m := range l.Members {
		if m.Name == l.Item["Layers"].([]string)[0] {
			l.Members[i] = tartest.File(m.Name, bad)
		}
	}
	src, err := parse(t, "-").NewSource(context.Background(), &transport.Options{Stdin: bytes.NewReader(legacyArchive(t, l)), TmpDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var mp memPut
	if _, _, err := src.(transport.StreamSource).Stream(context.Background(), mp.put); !errors.Is(err, errdefs.ErrDigestMismatch) {
		t.Fatalf("Stream: %v, want a digest mismatch", err)
	}
	if _, ok := mp.blobs[digest.FromBytes(bad)]; ok {
		t.Error("the mismatching layer was put")
	}
}
