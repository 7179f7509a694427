package archive_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/archive"
	"github.com/ferrytool/ferry/internal/archive/tartest"
	"github.com/google/go-cmp/cmp"
)

func TestCleanName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want string
		bad      bool
	}{
		{in: "manifest.json", want: "manifest.json"},
		{in: "./manifest.json", want: "manifest.json"},
		{in: "blobs/sha256/", want: "blobs/sha256"},
		{in: "a/./b//c", want: "a/b/c"},
		{in: "/etc/passwd", bad: true},
		{in: "../x", bad: true},
		{in: "a/../../x", bad: true},
		{in: "a/..", bad: true},
		{in: ".", bad: true},
		{in: "", bad: true},
	} {
		got, err := archive.CleanName(tc.in)
		if tc.bad {
			if !errors.Is(err, errdefs.ErrInvalidArchive) {
				t.Errorf("CleanName(%q) = %q, %v; want ErrInvalidArchive", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("CleanName(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func index(t *testing.T, b []byte) (*archive.Archive, error) {
	t.Helper()
	return archive.Index(context.Background(), bytes.NewReader(b), int64(len(b)), nil)
}

func TestIndexServesMembersByOffset(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte("0123456789"), 10000)
	long := strings.Repeat("d/", 80) + "file" // needs a PAX header
	b := tartest.Tar(t,
		tartest.File("a.txt", []byte("hello")),
		tartest.Member{Name: "dir/", Type: '5'},
		tartest.File("dir/big", big),
		tartest.File(long, []byte("long name")),
		tartest.Symlink("dir/link", "../a.txt"),
		tartest.Hardlink("hard", "dir/big"),
		tartest.Symlink("chain", "dir/link"),
		tartest.File("empty", nil),
	)
	a, err := index(t, b)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]byte{
		"a.txt": []byte("hello"), "./dir/big": big, long: []byte("long name"),
		"dir/link": []byte("hello"), "hard": big, "chain": []byte("hello"), "empty": {},
	} {
		sr, err := a.Open(name)
		if err != nil {
			t.Errorf("Open(%q): %v", name, err)
			continue
		}
		got, _ := io.ReadAll(sr)
		if !bytes.Equal(got, want) {
			t.Errorf("Open(%q) gave %d bytes, want %d", name, len(got), len(want))
		}
	}
	if _, err := a.ReadFile("dir/big", 10); !errors.Is(err, errdefs.ErrInvalidArchive) {
		t.Errorf("ReadFile past its limit: %v, want ErrInvalidArchive", err)
	}
	for _, name := range []string{"missing", "dir"} {
		if _, err := a.Open(name); !errors.Is(err, errdefs.ErrInvalidArchive) {
			t.Errorf("Open(%q): %v, want ErrInvalidArchive", name, err)
		}
	}
}

// hostile lists archives no image archive looks like; every reader must
// refuse them whole.
func hostile(t *testing.T) map[string][]byte {
	good := tartest.Tar(t, tartest.File("manifest.json", []byte("[]")), tartest.File("layer", bytes.Repeat([]byte{1}, 5000)))
	return map[string][]byte{
		"absolute name":       tartest.Tar(t, tartest.File("/etc/passwd", []byte("x"))),
		"dot-dot name":        tartest.Tar(t, tartest.File("a/../../evil", []byte("x"))),
		"symlink out":         tartest.Tar(t, tartest.Symlink("a/l", "../../etc/passwd")),
		"absolute symlink":    tartest.Tar(t, tartest.Symlink("l", "/etc/passwd")),
		"hard link out":       tartest.Tar(t, tartest.Hardlink("l", "../etc/passwd")),
		"device":              tartest.Tar(t, tartest.Member{Name: "dev", Type: '3'}),
		"truncated in a file": good[:1024+512+100],
		"truncated header":    good[:700],
		"cut between members": good[:1024],
		"no end marker":       good[:len(good)-1024],
		"not a tar":           bytes.Repeat([]byte("not a tar "), 100),
	}
}

func TestIndexRefusesHostileArchives(t *testing.T) {
	t.Parallel()
	for name, b := range hostile(t) {
		t.Run(name, func(t *testing.T) {
			if _, err := index(t, b); !errors.Is(err, errdefs.ErrInvalidArchive) {
				t.Errorf("Index: %v, want ErrInvalidArchive", err)
			}
		})
	}
}

func TestWalkRefusesHostileArchives(t *testing.T) {
	t.Parallel()
	for name, b := range hostile(t) {
		t.Run(name, func(t *testing.T) {
			_, err := archive.Walk(context.Background(), bytes.NewReader(b), func(ctx context.Context, e *archive.Entry, head []byte, r io.Reader) (int64, error) {
				return io.Copy(io.Discard, r)
			})
			if !errors.Is(err, errdefs.ErrInvalidArchive) {
				t.Errorf("Walk: %v, want ErrInvalidArchive", err)
			}
		})
	}
}

func TestLinkLoop(t *testing.T) {
	t.Parallel()
	a, err := index(t, tartest.Tar(t, tartest.Symlink("a", "b"), tartest.Symlink("b", "a")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Open("a"); !errors.Is(err, errdefs.ErrInvalidArchive) {
		t.Errorf("Open of a link loop: %v, want ErrInvalidArchive", err)
	}
}

func TestWalkKeepsSmallAndPutsLarge(t *testing.T) {
	t.Parallel()
	layer := tartest.Gzip(t, bytes.Repeat([]byte("layer data "), 20000))
	for len(layer) <= archive.SmallFile {
		layer = append(layer, layer...)
	}
	config := []byte(`{"big":"` + strings.Repeat("x", archive.SmallFile) + `"}`)
	b := tartest.Tar(t,
		tartest.File("layer.tar", layer),
		tartest.File("config.json", config),
		tartest.File("VERSION", []byte("1.0")),
		tartest.Symlink("other/layer.tar", "../layer.tar"),
	)
	var heads [][]byte
	w, err := archive.Walk(context.Background(), bytes.NewReader(b), func(ctx context.Context, e *archive.Entry, head []byte, r io.Reader) (int64, error) {
		heads = append(heads, append([]byte(nil), head...))
		got, err := io.ReadAll(r)
		if !bytes.Equal(got, layer) {
			t.Errorf("put %s got %d bytes, want the layer's %d", e.Name, len(got), len(layer))
		}
		return int64(len(got)), err
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]byte{layer[:archive.MagicLen]}, heads); diff != "" {
		t.Errorf("put heads (-want +got):\n%s", diff)
	}
	if _, n, kept, err := w.File("other/layer.tar"); err != nil || kept || n != int64(len(layer)) {
		t.Errorf("File(link to put member) = %d, kept %v, %v", n, kept, err)
	}
	for name, want := range map[string][]byte{"config.json": config, "VERSION": []byte("1.0")} {
		got, _, kept, err := w.File(name)
		if err != nil || !kept || !bytes.Equal(got, want) {
			t.Errorf("File(%q) kept %v, %v, same bytes %v", name, kept, err, bytes.Equal(got, want))
		}
	}
}

func TestDecompress(t *testing.T) {
	t.Parallel()
	plain := bytes.Repeat([]byte("plain bytes "), 1000)
	for _, tc := range []struct {
		name string
		in   []byte
		want archive.Compression
	}{
		{"none", plain, archive.None},
		{"gzip", tartest.Gzip(t, plain), archive.Gzip},
		{"zstd", tartest.Zstd(t, plain), archive.Zstd},
	} {
		rc, c, err := archive.Decompress(bytes.NewReader(tc.in))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || c != tc.want || !bytes.Equal(got, plain) {
			t.Errorf("%s: compression %v, %v, round trip ok %v", tc.name, c, err, bytes.Equal(got, plain))
		}
	}
}

// TestDecompressWholeArchives: an archive compressed as a whole by the
// real tools (gzip, zstd, xz, bzip2) is recognised by its first bytes and
// read back; the same archive cut short or with a byte flipped is
// ErrInvalidArchive (each tool writes a checksum), never a decoder's bare
// error or a short read taken for the end.
func TestDecompressWholeArchives(t *testing.T) {
	t.Parallel()
	plain := tartest.Tar(t, tartest.File("a", bytes.Repeat([]byte("plain bytes "), 5000)), tartest.File("b", []byte("b")))
	want := map[string]archive.Compression{"gzip": archive.Gzip, "zstd": archive.Zstd, "xz": archive.Xz, "bzip2": archive.Bzip2}
	for name, tool := range tartest.Compressors {
		packed := tartest.CompressWith(t, tool, plain)
		got, c, err := readAll(packed)
		if err != nil || c != want[name] || !bytes.Equal(got, plain) {
			t.Errorf("%s: compression %v, %v, round trip ok %v", name, c, err, bytes.Equal(got, plain))
		}
		cut := packed[:len(packed)/2]
		if _, _, err := readAll(cut); !errors.Is(err, errdefs.ErrInvalidArchive) {
			t.Errorf("%s cut short: %v, want ErrInvalidArchive", name, err)
		}
		flipped := bytes.Clone(packed)
		flipped[len(flipped)/2] ^= 0xff
		if _, _, err := readAll(flipped); !errors.Is(err, errdefs.ErrInvalidArchive) {
			t.Errorf("%s with a byte flipped: %v, want ErrInvalidArchive", name, err)
		}
	}
}

// readAll decompresses b whole.
func readAll(b []byte) ([]byte, archive.Compression, error) {
	rc, c, err := archive.Decompress(bytes.NewReader(b))
	if err != nil {
		return nil, c, err
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	return got, c, err
}

func TestOutputAppearsWholeOrNotAtAll(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := filepath.Join(dir, "out.tar")
	if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}

	o, err := archive.CreateOutput(target, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(o, "half")
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(target); string(got) != "old" {
		t.Errorf("after Close without Commit the file holds %q, want the old content", got)
	}
	if diff := cmp.Diff([]string{"out.tar"}, tartest.Listing(t, dir)); diff != "" {
		t.Errorf("left behind (-want +got):\n%s", diff)
	}

	o, err = archive.CreateOutput(target, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(o, "new")
	if err := o.Commit(); err != nil {
		t.Fatal(err)
	}
	o.Close()
	if got, _ := os.ReadFile(target); string(got) != "new" {
		t.Errorf("after Commit the file holds %q, want %q", got, "new")
	}
	if diff := cmp.Diff([]string{"out.tar"}, tartest.Listing(t, dir)); diff != "" {
		t.Errorf("left behind (-want +got):\n%s", diff)
	}

	var stdout bytes.Buffer
	o, err = archive.CreateOutput("-", &stdout)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(o, "streamed")
	if err := o.Commit(); err != nil || stdout.String() != "streamed" {
		t.Errorf("stdout output: %q, %v", stdout.String(), err)
	}
}

func TestInputSpoolsAStreamOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := tartest.Tar(t, tartest.File("a", []byte("alpha")))
	tmp := t.TempDir()
	for _, tc := range []struct {
		name  string
		bytes []byte
	}{{"plain", b}, {"gzip", tartest.Gzip(t, b)}, {"zstd", tartest.Zstd(t, b)}} {
		in, err := archive.OpenInput(ctx, "-", bytes.NewReader(tc.bytes), tmp)
		if err != nil {
			t.Fatal(err)
		}
		if in.Indexed() {
			t.Errorf("%s: stdin is indexed before use", tc.name)
		}
		a, err := in.Archive(ctx)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got, err := a.ReadFile("a", 100); err != nil || string(got) != "alpha" {
			t.Errorf("%s: ReadFile = %q, %v", tc.name, got, err)
		}
		if _, err := in.Stream(ctx); !errors.Is(err, errdefs.ErrNotSupported) {
			t.Errorf("%s: Stream after spooling: %v, want ErrNotSupported", tc.name, err)
		}
		if err := in.Close(); err != nil {
			t.Error(err)
		}
		if left := tartest.Listing(t, tmp); len(left) != 0 {
			t.Errorf("%s: spool left behind: %v", tc.name, left)
		}
	}

	// A file compressed as a whole is a stream too; a plain one is indexed.
	for _, tc := range []struct {
		bytes   []byte
		indexed bool
	}{{b, true}, {tartest.Gzip(t, b), false}} {
		in, err := archive.OpenInput(ctx, tartest.WriteFile(t, "a.tar", tc.bytes), nil, tmp)
		if err != nil {
			t.Fatal(err)
		}
		if in.Indexed() != tc.indexed {
			t.Errorf("Indexed() = %v, want %v", in.Indexed(), tc.indexed)
		}
		if !tc.indexed {
			rc, err := in.Stream(ctx)
			if err != nil {
				t.Fatal(err)
			}
			w, err := archive.Walk(ctx, rc, func(context.Context, *archive.Entry, []byte, io.Reader) (int, error) { return 0, nil })
			if got, _, _, ferr := w.File("a"); err != nil || ferr != nil || string(got) != "alpha" {
				t.Errorf("walked %q, %v, %v", got, err, ferr)
			}
			rc.Close()
			if _, err := in.Archive(ctx); !errors.Is(err, errdefs.ErrNotSupported) {
				t.Errorf("Archive after Stream: %v, want ErrNotSupported", err)
			}
		}
		in.Close()
	}
	if _, err := archive.OpenInput(ctx, filepath.Join(tmp, "missing.tar"), nil, tmp); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("missing file: %v, want ErrNotFound", err)
	}
}

// zstdFrame builds a zstd frame by hand (RFC 8878 3.1.1): no single
// segment, no content size, windowLog 10+exp, one raw last block.
func zstdFrame(exp byte, content []byte) []byte {
	f := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, exp << 3}
	h := 1 | uint32(len(content))<<3 // Last_Block, Raw_Block, Block_Size
	f = append(f, byte(h), byte(h>>8), byte(h>>16))
	return append(f, content...)
}

// A zstd stream that declares a 512 MiB window (a 26 KB archive made so
// drove ferry's memory to 540 MB) is refused as invalid input; the same
// content with an ordinary window decodes.
func TestZstdWindowBounded(t *testing.T) {
	t.Parallel()
	plain := bytes.Repeat([]byte("layer "), 1000)
	for _, tc := range []struct {
		name string
		in   []byte
		err  error
	}{
		{"1 MiB window", zstdFrame(10, plain), nil},
		{"128 MiB window", zstdFrame(17, plain), nil},
		{"512 MiB window", zstdFrame(19, plain), errdefs.ErrInvalidArchive},
	} {
		rc, _, err := archive.Decompress(bytes.NewReader(tc.in))
		if err == nil {
			var got []byte
			got, err = io.ReadAll(rc)
			rc.Close()
			if err == nil && !bytes.Equal(got, plain) {
				t.Errorf("%s: content differs", tc.name)
			}
		}
		if !errors.Is(err, tc.err) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.err)
		}
	}
}
