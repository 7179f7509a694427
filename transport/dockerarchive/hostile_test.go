package dockerarchive_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/archive/tartest"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
)

// readBoth reads "-[:NAME]" from b twice: as an indexed file and as a
// stdin stream, returning both results.
func readBoth(t *testing.T, b []byte, pick string) (file, streamed *read, fileErr, streamErr error) {
	t.Helper()
	ctx := context.Background()
	path := tartest.WriteFile(t, "a.tar", b)
	if src, err := parse(t, path+pick).NewSource(ctx, nil); err != nil {
		fileErr = err
	} else {
		file, fileErr = readImage(t, src)
		src.Close()
	}
	src, err := parse(t, "-"+pick).NewSource(ctx, &transport.Options{Stdin: bytes.NewReader(b), TmpDir: t.TempDir()})
	if err != nil {
		return file, nil, fileErr, err
	}
	defer src.Close()
	streamed, streamErr = stream(t, src)
	return file, streamed, fileErr, streamErr
}

func TestPickImage(t *testing.T) {
	t.Parallel()
	a := newLegacy(t, 1, "app:1", "app:latest")
	b := newLegacy(t, 2, "example.com/other:2")
	c := newLegacy(t, 3)
	// Docker before 25 writes a layer shared with an earlier image as a
	// symlink to it.
	shared := a.Item["Layers"].([]string)[0]
	cLayers := c.Item["Layers"].([]string)
	c.Members[2] = tartest.Symlink(cLayers[0], "../"+shared)
	c.Layers[0] = a.Layers[0]
	c.Config = replaceDiffID(t, c, 0, digest.FromBytes(a.Layers[0]))
	archiveBytes := legacyArchive(t, a, b, c)

	for _, tc := range []struct {
		pick string
		want *legacyImage
		err  error
	}{
		{pick: ":app:1", want: a},
		{pick: ":docker.io/library/app", want: a},
		{pick: ":example.com/other:2", want: b},
		{pick: ":@1", want: b},
		{pick: ":@2", want: c},
		{pick: ":app:2", err: errdefs.ErrNotFound},
		{pick: ":@3", err: errdefs.ErrNotFound},
		{pick: "", err: errdefs.ErrInvalidReference},
	} {
		file, streamed, ferr, serr := readBoth(t, archiveBytes, tc.pick)
		for mode, got := range map[string]struct {
			r   *read
			err error
		}{"file": {file, ferr}, "stream": {streamed, serr}} {
			if tc.err != nil {
				if !errors.Is(got.err, tc.err) {
					t.Errorf("%s %q: %v, want %v", mode, tc.pick, got.err, tc.err)
				}
				continue
			}
			if got.err != nil {
				t.Errorf("%s %q: %v", mode, tc.pick, got.err)
				continue
			}
			if got.r.Image.Config.Digest != digest.FromBytes(tc.want.Config) {
				t.Errorf("%s %q: picked config %s", mode, tc.pick, got.r.Image.Config.Digest)
			}
			for i, l := range got.r.Image.Layers {
				if !bytes.Equal(got.r.Blobs[l.Digest], tc.want.Layers[i]) {
					t.Errorf("%s %q: layer %d differs", mode, tc.pick, i)
				}
			}
		}
	}
}

// replaceDiffID rewrites a legacy image's config with layer i's diff ID
// changed, and renames the config member to match.
func replaceDiffID(t *testing.T, l *legacyImage, i int, d digest.Digest) []byte {
	t.Helper()
	var c map[string]any
	json.Unmarshal(l.Config, &c)
	ids := c["rootfs"].(map[string]any)["diff_ids"].([]any)
	ids[i] = d
	b, _ := json.Marshal(c)
	name := digest.FromBytes(b).Encoded() + ".json"
	for j, m := range l.Members {
		if m.Name == l.Item["Config"] {
			l.Members[j] = tartest.File(name, b)
		}
	}
	l.Item["Config"] = name
	return b
}

// TestDocker25Layout reads the layout of Docker 25 and later: blobs named
// by digest beside an OCI index.json, listed in manifest.json.
func TestDocker25Layout(t *testing.T) {
	t.Parallel()
	l := newLegacy(t, 4, "app:25")
	var members []tartest.Member
	var paths []string
	for _, layer := range l.Layers {
		p := "blobs/sha256/" + digest.FromBytes(layer).Encoded()
		paths = append(paths, p)
		members = append(members, tartest.File(p, layer))
	}
	cfg := "blobs/sha256/" + digest.FromBytes(l.Config).Encoded()
	members = append(members, tartest.File(cfg, l.Config),
		tartest.File("index.json", []byte(`{"schemaVersion":2,"manifests":[]}`)),
		tartest.File("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)))
	mj, _ := json.Marshal([]map[string]any{{"Config": cfg, "RepoTags": []string{"app:25"}, "Layers": paths}})
	members = append(members, tartest.File("manifest.json", mj))
	file, streamed, ferr, serr := readBoth(t, tartest.Tar(t, members...), ":app:25")
	if ferr != nil || serr != nil {
		t.Fatalf("file: %v; stream: %v", ferr, serr)
	}
	if !bytes.Equal(file.Manifest, streamed.Manifest) {
		t.Errorf("file and stream manifests differ:\n%s\n%s", file.Manifest, streamed.Manifest)
	}
	for i, layer := range file.Image.Layers {
		if layer.Digest != digest.FromBytes(l.Layers[i]) {
			t.Errorf("layer %d: %s, want its diff ID", i, layer.Digest)
		}
	}
}

// TestHostileArchives: archives that are truncated, unsafe or lie about
// their content give one clear error of the right kind, read as a file
// or as a stream, and never a panic.
func TestHostileArchives(t *testing.T) {
	t.Parallel()
	good := func() *legacyImage { return newLegacy(t, 5, "app:1") }
	mutate := func(f func(l *legacyImage) []tartest.Member) []byte {
		l := good()
		members := f(l)
		mj, _ := json.Marshal([]map[string]any{l.Item})
		return tartest.Tar(t, append(members, tartest.File("manifest.json", mj))...)
	}
	whole := legacyArchive(t, good())
	for _, tc := range []struct {
		name string
		b    []byte
		want error
	}{
		{"missing manifest.json", tartest.Tar(t, good().Members...), errdefs.ErrInvalidArchive},
		{"manifest.json not JSON", tartest.Tar(t, append(good().Members, tartest.File("manifest.json", []byte("{")))...), errdefs.ErrInvalidArchive},
		{"truncated in a layer", whole[:len(whole)/2], errdefs.ErrInvalidArchive},
		{"cut before the end marker", whole[:len(whole)-1024], errdefs.ErrInvalidArchive},
		{"layer missing", mutate(func(l *legacyImage) []tartest.Member {
			l.Item["Layers"] = []string{"nope/layer.tar", l.Item["Layers"].([]string)[1]}
			return l.Members
		}), errdefs.ErrInvalidArchive},
		{"config missing", mutate(func(l *legacyImage) []tartest.Member {
			l.Item["Config"] = "0000.json"
			return l.Members
		}), errdefs.ErrInvalidArchive},
		{"layer count differs from diff IDs", mutate(func(l *legacyImage) []tartest.Member {
			l.Item["Layers"] = l.Item["Layers"].([]string)[:1]
			return l.Members
		}), errdefs.ErrInvalidArchive},
		{"layer content does not match its diff ID", mutate(func(l *legacyImage) []tartest.Member {
			for i, m := range l.Members {
				if m.Name == l.Item["Layers"].([]string)[0] {
					l.Members[i] = tartest.File(m.Name, append(bytes.Clone(m.Body[:len(m.Body)-1]), 'X'))
				}
			}
			return l.Members
		}), errdefs.ErrDigestMismatch},
		{"config does not match its name", mutate(func(l *legacyImage) []tartest.Member {
			for i, m := range l.Members {
				if m.Name == l.Item["Config"] {
					l.Members[i] = tartest.File(m.Name, append(bytes.Clone(m.Body), ' '))
				}
			}
			return l.Members
		}), errdefs.ErrDigestMismatch},
		{"layer symlink pointing out", mutate(func(l *legacyImage) []tartest.Member {
			return append([]tartest.Member{tartest.Symlink("evil/layer.tar", "../../../etc/passwd")}, l.Members...)
		}), errdefs.ErrInvalidArchive},
		{"absolute member", mutate(func(l *legacyImage) []tartest.Member {
			return append(l.Members, tartest.File("/etc/evil", []byte("x")))
		}), errdefs.ErrInvalidArchive},
		{"dot-dot member", mutate(func(l *legacyImage) []tartest.Member {
			return append(l.Members, tartest.File("../evil", []byte("x")))
		}), errdefs.ErrInvalidArchive},
		{"manifest names a path outside", mutate(func(l *legacyImage) []tartest.Member {
			l.Item["Config"] = "../../etc/passwd"
			return l.Members
		}), errdefs.ErrInvalidArchive},
		{"empty input", nil, errdefs.ErrInvalidArchive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, ferr, serr := readBoth(t, tc.b, "")
			t.Logf("file: %v\nstream: %v", ferr, serr)
			if !errors.Is(ferr, tc.want) {
				t.Errorf("file: %v, want %v", ferr, tc.want)
			}
			if !errors.Is(serr, tc.want) {
				t.Errorf("stream: %v, want %v", serr, tc.want)
			}
		})
	}
}
