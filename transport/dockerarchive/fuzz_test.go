package dockerarchive

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/archive"
	"github.com/ferrytool/ferry/internal/archive/tartest"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// fuzzArchive builds a docker save archive around a fuzzed manifest.json
// and config: beside them it holds a plain layer, a gzip layer named by
// its digest (Docker 25+), a symlink to the plain layer (Docker before
// 25), the config under its own digest's name, and, when member is a
// clean name, the config as member and the plain layer as member+".l".
func fuzzArchive(t testing.TB, manifestJSON, cfg []byte, member string) []byte {
	plain, gz := fuzzLayers(t)
	extra := []tartest.Member{}
	if c, err := archive.CleanName(member); err == nil && c == member && !strings.HasSuffix(member, ".l") && len(member) < 1024 {
		// Hostile member names: the config, and a layer beside it.
		extra = append(extra, tartest.File(member, cfg), tartest.File(member+".l", plain))
	}
	return tartest.Tar(t, append(extra,
		tartest.File("manifest.json", manifestJSON),
		tartest.File("c.json", cfg),
		tartest.File(digest.FromBytes(cfg).Encoded()+".json", cfg),
		tartest.File("l/layer.tar", plain),
		tartest.File("blobs/sha256/"+digest.FromBytes(gz).Encoded(), gz),
		tartest.Symlink("m/layer.tar", "../l/layer.tar"),
		tartest.Member{Name: "d", Type: tar.TypeDir},
	)...)
}

var (
	fuzzLayersOnce sync.Once
	fuzzPlain      []byte
	fuzzGzip       []byte
)

// fuzzLayers is the plain layer of fuzzArchive and its gzip form, made
// once (compressing for every input would dominate a fuzz run).
func fuzzLayers(t testing.TB) (plain, gz []byte) {
	fuzzLayersOnce.Do(func() {
		fuzzPlain = tartest.Tar(t, tartest.File("etc/hello", []byte("hello")))
		fuzzGzip = tartest.Gzip(t, fuzzPlain)
	})
	return fuzzPlain, fuzzGzip
}

// addLoadSeeds seeds f with manifest.json and config pairs for
// fuzzArchive, and an image name or position to pick.
func addLoadSeeds(f *testing.F) {
	plain, gz := fuzzLayers(f)
	gzName := "blobs/sha256/" + digest.FromBytes(gz).Encoded()
	diff := digest.FromBytes(plain).String()
	cfg := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["` + diff + `","` + diff + `"]}}`)
	cfgName := digest.FromBytes(cfg).Encoded() + ".json"
	f.Add([]byte(`[{"Config":"c.json","RepoTags":["app:1"],"Layers":["l/layer.tar","`+gzName+`"]}]`), cfg, "", -1, "")
	f.Add([]byte(`[{"Config":"`+cfgName+`","RepoTags":["app:1","docker.io/library/app:2"],"Layers":["m/layer.tar","l/layer.tar"]}]`), cfg, "app:2", -1, "")
	f.Add([]byte(`[{"Config":"c.json","Layers":["l/layer.tar"]},{"Config":"c.json","RepoTags":["a\nb"],"Layers":[]}]`), cfg, "", 1, "")
	f.Add([]byte(`[{"Config":"c.json","Layers":[]},{"Config":"c.json","RepoTags":["x:1\nforged line"]}]`), []byte(`{}`), "", -1, "")
	f.Add([]byte(`[{"Config":"../../etc/passwd","Layers":["/etc/shadow"]}]`), cfg, "", -1, "")
	f.Add([]byte(`[{"Config":"blobs/sha256/`+strings.Repeat("0", 64)+`","Layers":["d"]}]`), cfg, "", -1, "")
	f.Add([]byte(`[{"Config":"c.json","Layers":["`+gzName+`","`+gzName+`"]}]`), []byte(`{"rootfs":{"diff_ids":["`+diff+`","sha256:`+strings.Repeat("1", 64)+`"]}}`), "", -1, "")
	f.Add([]byte(`[{"Config":"c.json","Layers":["l/layer.tar"]}]`), []byte(`{"rootfs":{"diff_ids":["bogus"]}}`), "", -1, "")
	f.Add([]byte(`{}`), []byte(`null`), "", 7, "")
	f.Add([]byte(`[]`), cfg, "UPPER:case", -1, "")
	hexName := "x\ny/" + digest.FromString("other").Encoded() + ".json"
	f.Add([]byte(`[{"Config":"x\ny/`+digest.FromString("other").Encoded()+`.json","Layers":[]}]`), cfg, "", -1, hexName)
	f.Add([]byte(`[{"Config":"c.json","Layers":["a\nb.l","`+gzName+`"]}]`), cfg, "", -1, "a\nb")
	f.Add([]byte(`[{"Config":"c.json","Layers":["l/layer.tar","a\nb.l"]}]`), cfg, "", -1, "a\nb")
}

// FuzzLoad feeds hostile manifest.json and config files (and a hostile
// image name or position to pick) to the docker-archive reader: errors
// carry the vocabulary and are one line; an image that loads has a
// manifest ferry itself parses, with one layer per manifest.json entry
// and a config whose digest is the config's.
func FuzzLoad(f *testing.F) {
	addLoadSeeds(f)
	f.Fuzz(func(t *testing.T, mj, cfg []byte, name string, index int, member string) {
		if len(mj) > 64<<10 || len(cfg) > 64<<10 {
			return
		}
		b := fuzzArchive(t, mj, cfg, member)
		a, err := archive.Index(context.Background(), bytes.NewReader(b), int64(len(b)), nil)
		if err != nil {
			t.Fatalf("the generated archive does not index: %v", err)
		}
		s := &source{name: "docker-archive:fuzz.tar", index: -1}
		if index >= -1 {
			s.index = index
		}
		if name != "" {
			n, err := reference.ParseNamed(name, true)
			if err != nil {
				return
			}
			s.named, s.index = n, -1
		}
		img, err := s.loadIndexed(context.Background(), a)
		if err != nil {
			vocabulary(t, err)
			return
		}
		m, err := manifest.ParseImage(img.manifest)
		if err != nil {
			t.Fatalf("the synthesized manifest does not parse: %v\n%s", err, img.manifest)
		}
		if m.Config.Digest != digest.FromBytes(img.configRaw) || m.Config.Size != int64(len(img.configRaw)) {
			t.Fatalf("the manifest's config %s does not describe the config", m.Config.Digest)
		}
		items, err := parseManifestFile(mj)
		if err != nil {
			t.Fatalf("an image loaded from a manifest.json that does not parse: %v", err)
		}
		var layers int = -1
		for _, it := range items {
			if it.Config != "" && len(it.Layers) == len(m.Layers) {
				layers = len(it.Layers)
			}
		}
		if layers < 0 {
			t.Fatalf("%d layers in the manifest, which no image of manifest.json has", len(m.Layers))
		}
		for _, l := range m.Layers {
			if _, ok := img.paths[l.Digest]; !ok {
				t.Fatalf("layer %s has no member", l.Digest)
			}
		}
	})
}

// vocabulary fails t unless err carries one of the errdefs sentinels an
// archive reader may return, in one line.
func vocabulary(t *testing.T, err error) {
	t.Helper()
	ok := false
	for _, e := range []error{errdefs.ErrInvalidArchive, errdefs.ErrDigestMismatch, errdefs.ErrNotFound,
		errdefs.ErrInvalidReference, errdefs.ErrNotSupported, errdefs.ErrInvalidManifest} {
		ok = ok || errors.Is(err, e)
	}
	if !ok {
		t.Fatalf("error %v carries none of the vocabulary", err)
	}
	if strings.ContainsAny(err.Error(), "\n\r") {
		t.Fatalf("error is not one line: %q", err)
	}
}

// FuzzStream reads the same hostile archives as FuzzLoad in one pass, as
// from stdin: errors carry the vocabulary in one line; every blob the
// image's manifest names was handed to put with the content its digest
// says; and where the indexed reader accepts the archive too, both build
// the same manifest.
func FuzzStream(f *testing.F) {
	addLoadSeeds(f)
	tmp := f.TempDir() // spools are removed as each input ends
	f.Fuzz(func(t *testing.T, mj, cfg []byte, name string, index int, member string) {
		if len(mj) > 64<<10 || len(cfg) > 64<<10 {
			return
		}
		b := fuzzArchive(t, mj, cfg, member)
		s := &source{name: "docker-archive:-", index: -1, tmpDir: tmp, log: (*transport.Options)(nil).Log()}
		if index >= -1 {
			s.index = index
		}
		if name != "" {
			n, err := reference.ParseNamed(name, true)
			if err != nil {
				return
			}
			s.named, s.index = n, -1
		}
		s.in = archive.NewStreamInput(s.name, func(context.Context) (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(b)), nil
		}, s.tmpDir)
		defer s.in.Close()
		stored := map[digest.Digest]bool{}
		put := func(_ context.Context, d ocispec.Descriptor, r io.Reader) (ocispec.Descriptor, error) {
			body, err := io.ReadAll(r)
			if err != nil {
				return ocispec.Descriptor{}, err
			}
			got := digest.FromBytes(body)
			stored[got] = true
			return ocispec.Descriptor{MediaType: d.MediaType, Digest: got, Size: int64(len(body))}, nil
		}
		mb, _, err := streamSource{s}.Stream(context.Background(), put)
		if err != nil {
			vocabulary(t, err)
			return
		}
		m, err := manifest.ParseImage(mb)
		if err != nil {
			t.Fatalf("the synthesized manifest does not parse: %v\n%s", err, mb)
		}
		for _, d := range append([]ocispec.Descriptor{m.Config}, m.Layers...) {
			if !stored[d.Digest] {
				t.Fatalf("the manifest names %s, which was never stored", d.Digest)
			}
		}
		a, err := archive.Index(context.Background(), bytes.NewReader(b), int64(len(b)), nil)
		if err != nil {
			t.Fatalf("the generated archive does not index: %v", err)
		}
		ix := &source{name: s.name, named: s.named, index: s.index}
		img, err := ix.loadIndexed(context.Background(), a)
		if err == nil && !bytes.Equal(img.manifest, mb) {
			t.Fatalf("read as a stream the image has the manifest\n%s\nbut indexed\n%s", mb, img.manifest)
		}
	})
}
