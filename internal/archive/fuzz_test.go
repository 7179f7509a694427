package archive_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"path"
	"runtime"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/archive"
	"github.com/ferrytool/ferry/internal/archive/tartest"
)

// oneLine fails t when err's message spans lines: ferry's errors are one
// sentence, whatever bytes a hostile archive put in a name.
func oneLine(t *testing.T, err error) {
	t.Helper()
	if strings.ContainsAny(err.Error(), "\n\r") {
		t.Fatalf("error is not one line: %q", err)
	}
}

// FuzzCleanName feeds untrusted tar entry names to CleanName: an accepted
// name is relative, has no NUL and no ".." part (it cannot leave the
// archive root), is already clean, and cleans to itself.
func FuzzCleanName(f *testing.F) {
	for _, s := range []string{"a", "a/b", "./a", "a/", "a//b", "/etc/passwd", "..", "../x", "a/../../x", "a/..",
		"a/./b/..", ".", "./", "a\x00b", "", strings.Repeat("a/", 5000) + "x", "...", "..a", "a\\..\\b", "//x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		c, err := archive.CleanName(name)
		if err != nil {
			if !errors.Is(err, errdefs.ErrInvalidArchive) {
				t.Fatalf("error %v does not wrap ErrInvalidArchive", err)
			}
			oneLine(t, err)
			return
		}
		if c == "" || c == "." || path.IsAbs(c) || strings.ContainsRune(c, 0) {
			t.Fatalf("CleanName(%q) = %q, which is not a member name", name, c)
		}
		if c == ".." || strings.HasPrefix(c, "../") || path.Clean(c) != c {
			t.Fatalf("CleanName(%q) = %q, which is not clean or leaves the root", name, c)
		}
		if again, err := archive.CleanName(c); err != nil || again != c {
			t.Fatalf("CleanName(%q) = %q, but cleaning that again gives %q, %v", name, c, again, err)
		}
	})
}

// maxFuzzTar bounds the tars FuzzIndex reads, so that one input stays
// fast; the sizes in the headers are not bounded.
const maxFuzzTar = 256 << 10

// addTars seeds f with generated tars: ordinary ones, duplicate names,
// links (good, dangling, looping, pointing out), truncated ones, and
// headers declaring sizes far beyond the bytes that follow.
func addTars(f *testing.F) {
	cfg := []byte(`{"config":{}}`)
	ok := tartest.Tar(f,
		tartest.File("manifest.json", []byte(`[{"Config":"c.json","Layers":["l/layer.tar"]}]`)),
		tartest.File("c.json", cfg),
		tartest.Member{Name: "l/", Type: tar.TypeDir},
		tartest.File("l/layer.tar", bytes.Repeat([]byte{7}, 3000)),
		tartest.Symlink("l/link.tar", "layer.tar"),
		tartest.Hardlink("hard.tar", "l/layer.tar"),
	)
	f.Add(ok)
	f.Add(ok[:len(ok)-1024]) // no end marker
	f.Add(ok[:len(ok)-1500]) // cut inside a member
	f.Add(ok[:512])          // one header only
	f.Add(append(ok, ok...)) // two archives back to back
	f.Add(tartest.Tar(f, tartest.File("a", []byte("1")), tartest.File("a", []byte("22")), tartest.File("./a", nil)))
	f.Add(tartest.Tar(f, tartest.Symlink("a", "b"), tartest.Symlink("b", "a")))
	f.Add(tartest.Tar(f, tartest.Symlink("a", "../../etc/passwd"), tartest.Hardlink("b", "/etc/passwd")))
	f.Add(tartest.Tar(f, tartest.Symlink("x/a", "../b"), tartest.File("b", []byte("b"))))
	f.Add(tartest.Tar(f, tartest.Member{Name: "fifo", Type: tar.TypeFifo}))
	f.Add(tartest.Tar(f, tartest.File("../x", nil)))
	f.Add([]byte{})
	f.Add(make([]byte, 1024))
	f.Add([]byte("not a tar at all"))
	for _, size := range []int64{1 << 40, 1<<62 + 3, 077777777777, 8 << 30} {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		_ = tw.WriteHeader(&tar.Header{Name: "big", Typeflag: tar.TypeReg, Size: size, Mode: 0o644, Format: tar.FormatGNU})
		tw.Flush()
		f.Add(append(buf.Bytes(), make([]byte, 2048)...))
	}
}

// FuzzIndex feeds arbitrary bytes to both tar readers, the index of a
// seekable archive and the one-pass stream walk: errors are
// ErrInvalidArchive and one line; an indexed member lies inside the
// archive; resolving any name stays inside the table of contents; and
// where both readers accept the bytes they agree on the members and
// their content.
func FuzzIndex(f *testing.F) {
	addTars(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > maxFuzzTar {
			return
		}
		ctx := context.Background()
		a, ierr := archive.Index(ctx, bytes.NewReader(b), int64(len(b)), nil)
		if ierr != nil {
			if !errors.Is(ierr, errdefs.ErrInvalidArchive) {
				t.Fatalf("Index error %v does not wrap ErrInvalidArchive", ierr)
			}
			oneLine(t, ierr)
		} else {
			for name, e := range a.Entries() {
				if name != e.Name {
					t.Fatalf("entry %q is listed as %q", e.Name, name)
				}
				if c, err := archive.CleanName(name); err != nil || c != name {
					t.Fatalf("indexed name %q is not clean: %v", name, err)
				}
				if e.Kind == archive.File && (e.Offset < 0 || e.Size < 0 || e.Offset+e.Size > int64(len(b)) || e.Offset+e.Size < e.Offset) {
					t.Fatalf("member %q at %d+%d lies outside the %d-byte archive", name, e.Offset, e.Size, len(b))
				}
				got, err := a.ReadFile(name, int64(len(b)))
				if err != nil {
					if !errors.Is(err, errdefs.ErrInvalidArchive) {
						t.Fatalf("ReadFile(%q) error %v does not wrap ErrInvalidArchive", name, err)
					}
					oneLine(t, err)
					continue
				}
				if r, _ := a.Entries().Resolve(name); r == nil || int64(len(got)) != r.Size {
					t.Fatalf("ReadFile(%q) returned %d bytes", name, len(got))
				}
			}
		}
		var puts int
		w, werr := archive.Walk(ctx, bytes.NewReader(b), func(_ context.Context, e *archive.Entry, head []byte, r io.Reader) (string, error) {
			puts++
			h := sha256.New()
			n, err := io.Copy(h, r)
			if err != nil {
				return "", err
			}
			if n != e.Size {
				t.Fatalf("put got %d bytes of the %d-byte member %q", n, e.Size, e.Name)
			}
			return hex.EncodeToString(h.Sum(nil)), nil
		})
		if werr != nil {
			if !errors.Is(werr, errdefs.ErrInvalidArchive) {
				t.Fatalf("Walk error %v does not wrap ErrInvalidArchive", werr)
			}
			oneLine(t, werr)
			return
		}
		if ierr != nil {
			return
		}
		if len(w.Entries) != len(a.Entries()) {
			t.Fatalf("Walk found %d members, Index %d", len(w.Entries), len(a.Entries()))
		}
		for name, e := range a.Entries() {
			we, ok := w.Entries[name]
			if !ok || we.Kind != e.Kind || we.Size != e.Size || we.Link != e.Link {
				t.Fatalf("member %q: Index has %+v, Walk %+v", name, e, we)
			}
			if e.Kind != archive.File {
				continue
			}
			want, err := a.ReadFile(name, int64(len(b)))
			if err != nil {
				t.Fatal(err)
			}
			kb, sum, kept, err := w.File(name)
			if err != nil {
				t.Fatalf("Walk cannot give %q, which Index can: %v", name, err)
			}
			if kept && !bytes.Equal(kb, want) {
				t.Fatalf("member %q: Walk kept other bytes than Index reads", name)
			}
			if !kept {
				s := sha256.Sum256(want)
				if sum != hex.EncodeToString(s[:]) {
					t.Fatalf("member %q: Walk streamed other bytes than Index reads", name)
				}
			}
		}
	})
}

// maxDecompressed is how much of a decompressed stream FuzzDecompress
// reads: a bomb is not the decoders' to refuse, the reader stops.
const maxDecompressed = 4 << 20

// maxDecodeAlloc bounds what decoding one fuzz input may allocate. The
// zstd window cap (MaxZstdWindow) is what keeps a tiny stream declaring a
// huge window below it.
const maxDecodeAlloc = archive.MaxZstdWindow + 64<<20

// FuzzDecompress feeds arbitrary bytes to compression detection and the
// decoders: setup errors carry the vocabulary, reading a bounded amount
// never allocates without bound (a declared zstd window beyond the cap is
// refused as invalid input), and plain bytes pass through unchanged.
func FuzzDecompress(f *testing.F) {
	tarb := tartest.Tar(f, tartest.File("a", []byte("hello")))
	f.Add(tarb)
	f.Add(tartest.Gzip(f, tarb))
	f.Add(tartest.Zstd(f, tarb))
	f.Add(tartest.Gzip(f, make([]byte, 1<<20)))
	f.Add(tartest.Zstd(f, make([]byte, 1<<20)))
	f.Add(zstdFrame(17, make([]byte, 10))) // 128 MiB window: allowed
	f.Add(zstdFrame(19, make([]byte, 10))) // 512 MiB window: refused
	f.Add(zstdFrame(31, make([]byte, 10))) // 2 TiB window: refused
	f.Add([]byte{0x1f, 0x8b})
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd})
	f.Add([]byte("BZh91AY&SY"))
	f.Add([]byte{0xfd, '7', 'z', 'X', 'Z', 0x00, 0, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		rc, c, err := archive.Decompress(bytes.NewReader(b))
		if err != nil {
			if !errors.Is(err, errdefs.ErrInvalidArchive) && !errors.Is(err, errdefs.ErrNotSupported) {
				t.Fatalf("Decompress(%s) error %v does not carry the vocabulary", c, err)
			}
			oneLine(t, err)
			return
		}
		if c != archive.Detect(b) {
			t.Fatalf("Decompress says %s, Detect %s", c, archive.Detect(b))
		}
		out, rerr := io.ReadAll(io.LimitReader(rc, maxDecompressed))
		rc.Close()
		runtime.ReadMemStats(&after)
		if d := after.TotalAlloc - before.TotalAlloc; d > maxDecodeAlloc {
			t.Fatalf("decoding %d bytes of %s allocated %d MiB", len(b), c, d>>20)
		}
		if c == archive.None && (rerr != nil || !bytes.Equal(out, b)) {
			t.Fatalf("plain bytes did not pass through: %v", rerr)
		}
		if c == archive.Zstd && len(b) >= 6 && b[4]&0x20 == 0 && b[5]>>3 > 17 && rerr == nil && len(out) > 0 {
			t.Fatalf("a zstd frame declaring a window of 2^%d bytes was decoded", 10+int(b[5]>>3))
		}
	})
}

// FuzzLayerReader passes arbitrary bytes, read in odd-sized pieces,
// through a LayerReader under each compression: the bytes come out
// unchanged, the raw digest is theirs, a failure is ErrInvalidArchive,
// and the diff ID is the digest of what the decoder alone produces.
func FuzzLayerReader(f *testing.F) {
	tarb := tartest.Tar(f, tartest.File("a", []byte("hello")))
	for i, b := range [][]byte{tarb, tartest.Gzip(f, tarb), tartest.Zstd(f, tarb), append(tartest.Gzip(f, tarb), "trailing"...), zstdFrame(19, make([]byte, 10)), []byte("junk")} {
		f.Add(b, uint8(i%3), uint8(7))
	}
	f.Fuzz(func(t *testing.T, b []byte, comp, chunk uint8) {
		if len(b) > 1<<10 { // a kilobyte of zstd can still expand to tens of MiB
			return
		}
		c := archive.Compression(comp % 3) // None, Gzip, Zstd
		lr := archive.NewLayerReader(bytes.NewReader(b), c)
		buf := make([]byte, int(chunk)%64+1)
		var got []byte
		var rerr error
		for {
			n, err := lr.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				if err != io.EOF {
					rerr = err
				}
				break
			}
		}
		raw, diff, err := lr.Finish()
		lr.Close()
		if rerr == nil {
			rerr = err
		}
		if rerr != nil {
			if !errors.Is(rerr, errdefs.ErrInvalidArchive) {
				t.Fatalf("%s: error %v does not wrap ErrInvalidArchive", c, rerr)
			}
			oneLine(t, rerr)
			if c == archive.None {
				t.Fatalf("plain bytes failed: %v", rerr)
			}
			return
		}
		if !bytes.Equal(got, b) {
			t.Fatalf("%s: the bytes changed on their way through", c)
		}
		sum := sha256.Sum256(b)
		if raw.Encoded() != hex.EncodeToString(sum[:]) {
			t.Fatalf("%s: raw digest %s is not the bytes' digest", c, raw)
		}
		if c == archive.None {
			if diff != raw {
				t.Fatalf("plain layer: diff %s != raw %s", diff, raw)
			}
			return
		}
		zr, err := archive.NewReader(bytes.NewReader(b), c)
		if err != nil {
			t.Fatalf("%s: LayerReader accepted what NewReader refuses: %v", c, err)
		}
		h := sha256.New()
		_, err = io.Copy(h, zr)
		zr.Close()
		if err != nil {
			t.Fatalf("%s: LayerReader accepted a stream the decoder fails on: %v", c, err)
		}
		if diff.Encoded() != hex.EncodeToString(h.Sum(nil)) {
			t.Fatalf("%s: diff ID %s is not the digest of the decoded bytes", c, diff)
		}
	})
}
