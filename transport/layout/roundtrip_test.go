package layout_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/ocilayout"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/transporttest"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport/layout"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func descFor(d digest.Digest, b []byte) ocispec.Descriptor {
	return ocispec.Descriptor{Digest: d, Size: int64(len(b))}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		img  testImage
	}{
		{"oci image", testimage.New(testimage.Options{})},
		{"docker image", testimage.New(testimage.Options{Docker: true, Seed: 1})},
		{"oci index", testimage.NewIndex(false, amd64, arm64)},
		{"docker list", testimage.NewIndex(true, amd64, arm64)},
	}
	for _, tt := range tests {
		for _, ref := range []string{"", ":v1"} {
			t.Run(tt.name+ref, func(t *testing.T) {
				t.Parallel()
				root := t.TempDir()
				write(t, root+ref, tt.img)
				transporttest.AssertSame(t, tt.img.Source(), open(t, root+ref))
				if got := leftovers(t, root); len(got) > 0 {
					t.Errorf("leftover files: %v", got)
				}
				if got := string(readFile(t, filepath.Join(root, "oci-layout"))); got != `{"imageLayoutVersion": "1.0.0"}` {
					t.Errorf("oci-layout: got %q", got)
				}
			})
		}
	}
}

// TestIndexEntries checks what index.json holds after several writes: tags
// are replaced in place, unnamed duplicates are not added twice, other
// images are kept.
func TestIndexEntries(t *testing.T) {
	t.Parallel()
	img1 := testimage.New(testimage.Options{Seed: 1})
	img2 := testimage.New(testimage.Options{Seed: 2})
	ix := testimage.NewIndex(false, amd64, arm64)
	type step struct {
		ref string
		img testImage
	}
	type entry struct {
		ref    string
		digest digest.Digest
	}
	tests := []struct {
		name  string
		steps []step
		want  []entry
	}{
		{"two refs", []step{{"a", img1}, {"b", img2}}, []entry{{"a", img1.Digest}, {"b", img2.Digest}}},
		{"tag moves in place", []step{{"a", img1}, {"b", img2}, {"a", ix}}, []entry{{"a", ix.Digest}, {"b", img2.Digest}}},
		{"same unnamed twice", []step{{"", img1}, {"", img1}}, []entry{{"", img1.Digest}}},
		{"unnamed then named", []step{{"", img1}, {"a", img1}}, []entry{{"a", img1.Digest}}},
		{"named then unnamed", []step{{"a", img1}, {"", img1}}, []entry{{"a", img1.Digest}, {"", img1.Digest}}},
		{"two unnamed", []step{{"", img1}, {"", img2}}, []entry{{"", img1.Digest}, {"", img2.Digest}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			for _, s := range tt.steps {
				name := root
				if s.ref != "" {
					name += ":" + s.ref
				}
				write(t, name, s.img)
			}
			ix, err := ocilayout.ParseIndex(readFile(t, filepath.Join(root, "index.json")))
			if err != nil {
				t.Fatal(err)
			}
			var got []entry
			for _, d := range ix.Manifests {
				got = append(got, entry{ocilayout.RefName(d), d.Digest})
			}
			if len(got) != len(tt.want) {
				t.Fatalf("entries: got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("entry %d: got %v, want %v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestSourceSelection(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	img1 := testimage.New(testimage.Options{Seed: 1})
	img2 := testimage.New(testimage.Options{Seed: 2})
	ix := testimage.NewIndex(false, amd64, arm64)
	write(t, root+":one", img1)
	write(t, root+":two", img2)
	write(t, root+":multi", ix)

	tests := []struct {
		name    string
		want    digest.Digest
		wantErr error
	}{
		{":one", img1.Digest, nil},
		{":two", img2.Digest, nil},
		{":multi", ix.Digest, nil},
		{":@0", img1.Digest, nil},
		{":@2", ix.Digest, nil},
		{":@3", "", errdefs.ErrNotFound},
		{":three", "", errdefs.ErrNotFound},
		{"", "", errdefs.ErrInvalidReference},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src, err := parse(t, root+tt.name).NewSource(context.Background(), nil)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("NewSource: got %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if tt.name == "" && !strings.Contains(err.Error(), `"one", "two", "multi"`) {
					t.Errorf("error should list the refs: %v", err)
				}
				return
			}
			defer src.Close()
			b, _, err := src.Manifest(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := digest.FromBytes(b); got != tt.want {
				t.Errorf("got manifest %s, want %s", got, tt.want)
			}
		})
	}
}

func TestPutBlobStream(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dst, err := layout.OpenDestination(context.Background(), parse(t, root+":x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	content := []byte("a layer whose digest is known only at the end")
	got, err := dst.PutBlobStream(context.Background(), manifest.MediaTypeOCILayer, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	want := ocispec.Descriptor{MediaType: manifest.MediaTypeOCILayer, Digest: digest.FromBytes(content), Size: int64(len(content))}
	if got.Digest != want.Digest || got.Size != want.Size || got.MediaType != want.MediaType {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if b := readFile(t, filepath.Join(root, "blobs", "sha256", want.Digest.Encoded())); !bytes.Equal(b, content) {
		t.Errorf("stored blob differs")
	}
	if has, err := dst.HasBlob(context.Background(), want); err != nil || !has {
		t.Errorf("HasBlob: got %v, %v; want true", has, err)
	}
}

// badReader yields content and then fails instead of returning io.EOF, as
// the copier's verifying reader does when the content is wrong.
type badReader struct{ r io.Reader }

func (b *badReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		return n, errdefs.ErrDigestMismatch
	}
	return n, err
}

func TestPutBlobKeepsNothingOnFailure(t *testing.T) {
	t.Parallel()
	content := []byte("some layer bytes")
	d := ocispec.Descriptor{Digest: digest.FromBytes(content), Size: int64(len(content))}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		desc    ocispec.Descriptor
		r       io.Reader
		wantErr error
	}{
		{"reader fails at end", context.Background(), d, &badReader{bytes.NewReader(content)}, errdefs.ErrDigestMismatch},
		{"short", context.Background(), d, bytes.NewReader(content[:3]), errdefs.ErrSizeMismatch},
		{"canceled", canceled, d, bytes.NewReader(content), context.Canceled},
		{"bad digest", context.Background(), ocispec.Descriptor{Digest: "sha256:../../etc", Size: 1}, bytes.NewReader(content), errdefs.ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			dst, err := layout.OpenDestination(context.Background(), parse(t, root+":x"), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer dst.Close()
			err = dst.PutBlob(tt.ctx, tt.desc, tt.r)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("PutBlob: got %v, want %v", err, tt.wantErr)
			}
			if _, err := os.Stat(filepath.Join(root, "blobs", "sha256", d.Digest.Encoded())); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("blob file exists after a failed PutBlob (stat: %v)", err)
			}
			if has, _ := dst.HasBlob(context.Background(), d); has {
				t.Errorf("HasBlob true after a failed PutBlob")
			}
			if err := dst.Close(); err != nil {
				t.Fatal(err)
			}
			if got := leftovers(t, root); len(got) > 0 {
				t.Errorf("leftover files: %v", got)
			}
		})
	}
}

func TestCloseWithoutCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := t.TempDir()
	write(t, root+":kept", testimage.New(testimage.Options{Seed: 1}))
	before := readFile(t, filepath.Join(root, "index.json"))
	blobsBefore := blobFiles(t, root)

	img := testimage.New(testimage.Options{Seed: 2})
	dst, err := parse(t, root+":kept").NewDestination(ctx, nil)
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
	if err := dst.Commit(ctx); err == nil {
		t.Errorf("Commit after Close succeeded")
	}
	if after := readFile(t, filepath.Join(root, "index.json")); !bytes.Equal(before, after) {
		t.Errorf("index.json changed:\nbefore %s\nafter  %s", before, after)
	}
	if got := leftovers(t, root); len(got) > 0 {
		t.Errorf("leftover files: %v", got)
	}
	if got := blobFiles(t, root); !slices.Equal(got, blobsBefore) {
		t.Errorf("blobs after a copy that did not commit: got %v, want %v", got, blobsBefore)
	}
}

func TestManifestVerified(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	ix := testimage.NewIndex(false, amd64, arm64)
	write(t, root+":x", ix)
	// Tamper with the top manifest and one instance on disk.
	for _, d := range []digest.Digest{ix.Digest, ix.Images[0].Digest} {
		p := filepath.Join(root, "blobs", "sha256", d.Encoded())
		b := readFile(t, p)
		b[len(b)/2] ^= 1
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src := open(t, root+":x")
	if _, _, err := src.Manifest(context.Background(), nil); !errors.Is(err, errdefs.ErrDigestMismatch) {
		t.Errorf("Manifest(nil): got %v, want %v", err, errdefs.ErrDigestMismatch)
	}
	d := ix.Images[0].Digest
	if _, _, err := src.Manifest(context.Background(), &d); !errors.Is(err, errdefs.ErrDigestMismatch) {
		t.Errorf("Manifest(instance): got %v, want %v", err, errdefs.ErrDigestMismatch)
	}
	missing := digest.FromString("missing")
	if _, _, err := src.Manifest(context.Background(), &missing); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("Manifest(missing): got %v, want %v", err, errdefs.ErrNotFound)
	}
	if _, err := src.Blob(context.Background(), descFor(missing, nil)); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("Blob(missing): got %v, want %v", err, errdefs.ErrNotFound)
	}
}

func TestPutManifestInstanceMismatch(t *testing.T) {
	t.Parallel()
	dst, err := layout.OpenDestination(context.Background(), parse(t, t.TempDir()+":x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	img := testimage.New(testimage.Options{})
	wrong := digest.FromString("other")
	if err := dst.PutManifest(context.Background(), img.Manifest, img.MediaType, &wrong); !errors.Is(err, errdefs.ErrDigestMismatch) {
		t.Errorf("got %v, want %v", err, errdefs.ErrDigestMismatch)
	}
	if err := dst.Commit(context.Background()); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("Commit without a manifest: got %v, want %v", err, errdefs.ErrInvalidArgument)
	}
}

func TestBadPaths(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	mk := func(name string, files map[string]string) string {
		p := filepath.Join(base, name)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		for f, c := range files {
			if err := os.WriteFile(filepath.Join(p, f), []byte(c), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := mk("empty", nil)
	brokenIndex := mk("broken", map[string]string{"oci-layout": `{"imageLayoutVersion":"1.0.0"}`, "index.json": "{not json"})
	futureLayout := mk("future", map[string]string{"oci-layout": `{"imageLayoutVersion":"2.0.0"}`, "index.json": `{"schemaVersion":2,"manifests":[]}`})
	emptyIndex := mk("noimages", map[string]string{"oci-layout": `{"imageLayoutVersion":"1.0.0"}`, "index.json": `{"schemaVersion":2,"manifests":[]}`})

	tests := []struct {
		name           string
		ref            string
		srcErr, dstErr error // nil dstErr: opening a destination succeeds
	}{
		{"missing", filepath.Join(base, "missing"), errdefs.ErrNotFound, nil},
		{"a file", file, errdefs.ErrInvalidArgument, errdefs.ErrInvalidArgument},
		{"empty dir", empty, errdefs.ErrNotFound, nil},
		{"broken index.json", brokenIndex, errdefs.ErrInvalidArchive, errdefs.ErrInvalidArchive},
		{"layout version 2", futureLayout, errdefs.ErrNotSupported, errdefs.ErrNotSupported},
		{"no images", emptyIndex, errdefs.ErrNotFound, nil},
		{"write to @N", emptyIndex + ":@0", errdefs.ErrNotFound, errdefs.ErrInvalidReference},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(t, tt.ref).NewSource(context.Background(), nil)
			if !errors.Is(err, tt.srcErr) {
				t.Errorf("NewSource: got %v, want %v", err, tt.srcErr)
			}
			dst, err := parse(t, tt.ref).NewDestination(context.Background(), nil)
			if !errors.Is(err, tt.dstErr) || (tt.dstErr == nil && err != nil) {
				t.Errorf("NewDestination: got %v, want %v", err, tt.dstErr)
			}
			if dst != nil {
				dst.Close()
			}
		})
	}
	// A broken index.json is never overwritten.
	if got := string(readFile(t, filepath.Join(brokenIndex, "index.json"))); got != "{not json" {
		t.Errorf("broken index.json was changed to %q", got)
	}
}

func TestUnreadableLayout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		spoil  func(root string) error
		asRoot bool // the test works as root too
	}{
		{"index.json unreadable", func(root string) error { return os.Chmod(filepath.Join(root, "index.json"), 0) }, false},
		{"index.json is a directory", func(root string) error {
			if err := os.Remove(filepath.Join(root, "index.json")); err != nil {
				return err
			}
			return os.Mkdir(filepath.Join(root, "index.json"), 0o755)
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if !tt.asRoot && os.Geteuid() == 0 {
				t.Skip("permissions do not apply to root")
			}
			root := t.TempDir()
			write(t, root+":x", testimage.New(testimage.Options{}))
			if err := tt.spoil(root); err != nil {
				t.Fatal(err)
			}
			_, err := parse(t, root+":x").NewSource(context.Background(), nil)
			if err == nil || errors.Is(err, errdefs.ErrNotFound) || !strings.Contains(err.Error(), root) {
				t.Errorf("NewSource: got %v, want an error naming the layout", err)
			}
			_, err = parse(t, root+":x").NewDestination(context.Background(), nil)
			if err == nil || !strings.Contains(err.Error(), root) {
				t.Errorf("NewDestination: got %v, want an error naming the layout", err)
			}
		})
	}
}

func TestIndexJSONIsValid(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write(t, root+":x", testimage.NewIndex(false, amd64))
	var ix ocispec.Index
	if err := json.Unmarshal(readFile(t, filepath.Join(root, "index.json")), &ix); err != nil {
		t.Fatal(err)
	}
	if ix.SchemaVersion != 2 || ix.MediaType != ocispec.MediaTypeImageIndex || len(ix.Manifests) != 1 {
		t.Errorf("index.json: %+v", ix)
	}
	if d := ix.Manifests[0]; d.MediaType != ocispec.MediaTypeImageIndex || ocilayout.RefName(d) != "x" {
		t.Errorf("entry: %+v", d)
	}
}
