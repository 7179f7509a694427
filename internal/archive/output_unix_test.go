//go:build unix

package archive_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/archive"
	"github.com/google/go-cmp/cmp"
)

// writeOutput writes body to a new Output at path and commits it.
func writeOutput(t *testing.T, path string, body []byte) {
	t.Helper()
	o, err := archive.CreateOutput(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := o.Commit(); err != nil {
		t.Fatal(err)
	}
}

func fileType(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Type()
}

// A FIFO with a reader waiting (ferry copy ... docker-archive:fifo, with
// `tar -t < fifo` on the other side) is written into, never replaced by
// a regular file.
func TestOutputWritesIntoFIFO(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- nil
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- b
	}()
	body := bytes.Repeat([]byte("archive bytes "), 20000) // beyond a pipe's buffer
	writeOutput(t, fifo, body)
	if m := fileType(t, fifo); m != fs.ModeNamedPipe {
		t.Fatalf("the FIFO is now of type %v", m) // and its reader waits forever
	}
	if b := <-got; !bytes.Equal(b, body) {
		t.Errorf("the reader got %d bytes, want %d", len(b), len(body))
	}
	if diff := cmp.Diff([]string{"pipe"}, listNames(t, dir)); diff != "" {
		t.Errorf("left behind (-want +got):\n%s", diff)
	}
}

// A character device (what /dev/null is; the test makes its own node)
// stays a device: ferry once renamed its temporary file over /dev/null.
func TestOutputWritesIntoDevice(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dev := filepath.Join(dir, "null")
	// 1,3 is /dev/null's device number on Linux.
	if err := syscall.Mknod(dev, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		t.Skipf("cannot make a device node here: %v", err)
	}
	writeOutput(t, dev, []byte("discarded"))
	if m := fileType(t, dev); m != fs.ModeDevice|fs.ModeCharDevice {
		t.Errorf("the device is now of type %v", m)
	}
	if diff := cmp.Diff([]string{"null"}, listNames(t, dir)); diff != "" {
		t.Errorf("left behind (-want +got):\n%s", diff)
	}
}

// A Unix socket that is listening receives the archive on a connection.
func TestOutputWritesIntoSocket(t *testing.T) {
	t.Parallel()
	sock := filepath.Join(t.TempDir(), "s")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c)
		got <- b
	}()
	writeOutput(t, sock, []byte("over a socket"))
	if m := fileType(t, sock); m != fs.ModeSocket {
		t.Fatalf("the socket is now of type %v", m) // and its listener waits forever
	}
	if b := <-got; string(b) != "over a socket" {
		t.Errorf("the listener got %q", b)
	}
}

// /proc/self/fd/N (what /dev/stdout points at) is the process's own
// descriptor: here a pipe, which must get the bytes.
func TestOutputWritesIntoOwnDescriptor(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("no /proc/self/fd here")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := make(chan []byte, 1)
	go func() { b, _ := io.ReadAll(r); got <- b }()
	writeOutput(t, "/proc/self/fd/"+strconv.Itoa(int(w.Fd())), []byte("via the descriptor"))
	w.Close()
	if b := <-got; string(b) != "via the descriptor" {
		t.Errorf("the pipe got %q", b)
	}
}

// A symlink is followed: its target is replaced atomically and the link
// stays a link.
func TestOutputFollowsSymlink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	real := filepath.Join(dir, "real.tar")
	link := filepath.Join(dir, "link.tar")
	if err := os.WriteFile(real, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real.tar", link); err != nil {
		t.Fatal(err)
	}
	writeOutput(t, link, []byte("new"))
	if m := fileType(t, link); m != fs.ModeSymlink {
		t.Errorf("the link is now of type %v", m)
	}
	if b, _ := os.ReadFile(real); string(b) != "new" {
		t.Errorf("the target holds %q, want %q", b, "new")
	}
	// A dangling link: its target is created.
	os.Remove(real)
	writeOutput(t, link, []byte("created"))
	if b, _ := os.ReadFile(real); string(b) != "created" || fileType(t, link) != fs.ModeSymlink {
		t.Errorf("through a dangling link: target %q, link type %v", b, fileType(t, link))
	}
	if diff := cmp.Diff([]string{"link.tar", "real.tar"}, listNames(t, dir)); diff != "" {
		t.Errorf("left behind (-want +got):\n%s", diff)
	}
}

func TestOutputRefusesLoopsAndMissingStdout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.Symlink("b", a)
	os.Symlink("a", b)
	if _, err := archive.CreateOutput(a, nil); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("a symlink loop: %v, want ErrInvalidArgument", err)
	}
	if _, err := archive.CreateOutput("-", nil); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("\"-\" without a stdout: %v, want ErrInvalidArgument", err)
	}
}

func listNames(t *testing.T, dir string) []string {
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
