// Package tartest builds tar archives member by member for tests,
// including the malformed and hostile ones ferry must refuse (absolute
// names, ../ climbs, links pointing out, truncation).
package tartest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/ferrytool/ferry/internal/testenv"
	"github.com/klauspost/compress/zstd"
)

// Member is one tar member. Type defaults to a regular file.
type Member struct {
	Name string
	Body []byte
	Type byte
	Link string
}

// File is a regular file member.
func File(name string, body []byte) Member { return Member{Name: name, Body: body} }

// Symlink is a symbolic link member.
func Symlink(name, target string) Member {
	return Member{Name: name, Type: tar.TypeSymlink, Link: target}
}

// Hardlink is a hard link member.
func Hardlink(name, target string) Member {
	return Member{Name: name, Type: tar.TypeLink, Link: target}
}

// Tar builds a tar of the members, in order.
func Tar(t testing.TB, members ...Member) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range members {
		typ := m.Type
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Name: m.Name, Typeflag: typ, Linkname: m.Link, Mode: 0o644, ModTime: time.Unix(0, 0)}
		if typ == tar.TypeReg {
			h.Size = int64(len(m.Body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write(m.Body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Gzip compresses b.
func Gzip(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Zstd compresses b.
func Zstd(t testing.TB, b []byte) []byte {
	t.Helper()
	zw, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer zw.Close()
	return zw.EncodeAll(b, nil)
}

// Compressors are the command-line tools that compress a whole archive
// (as a user runs them: `xz image.tar`), by the name ferry gives their
// format.
var Compressors = map[string]string{"gzip": "gzip", "zstd": "zstd", "xz": "xz", "bzip2": "bzip2"}

// CompressWith compresses b with the real tool (gzip, zstd, xz or bzip2),
// so that ferry is tested against what users feed it, not against its own
// libraries' writers. A missing tool skips the test (fails it in CI).
func CompressWith(t testing.TB, tool string, b []byte) []byte {
	t.Helper()
	cmd := exec.Command(testenv.NeedCommand(t, tool), "-c")
	cmd.Stdin = bytes.NewReader(b)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s -c: %v: %s", tool, err, stderr.Bytes())
	}
	return out.Bytes()
}

// WriteFile writes b to a new file in a test's temporary directory.
func WriteFile(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Listing returns the names in dir, to check nothing was left behind.
func Listing(t testing.TB, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}
