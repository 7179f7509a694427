package registry

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"testing"
	"time"
)

// stopped is a clock that does not move: pieces are filled whatever the
// time.
func stopped() time.Time { return time.Time{} }

// smallPieces reads its content at most max bytes at a time, as a
// socket holding little does, and then fails with err (io.EOF: ends).
type smallPieces struct {
	r   *bytes.Reader
	max int
	err error
}

func (s *smallPieces) Read(p []byte) (int, error) {
	if s.r.Len() == 0 {
		return 0, s.err
	}
	return s.r.Read(p[:min(len(p), s.max)])
}

// writeLog records the size of every Write and what was written; it
// fails every Write after failAfter bytes (0: never).
type writeLog struct {
	bytes.Buffer
	sizes     []int
	failAfter int
}

var errWriteFailed = errors.New("connection reset")

func (w *writeLog) Write(p []byte) (int, error) {
	w.sizes = append(w.sizes, len(p))
	if w.failAfter > 0 && w.Len()+len(p) > w.failAfter {
		n, _ := w.Buffer.Write(p[:w.failAfter-w.Len()])
		return n, errWriteFailed
	}
	return w.Buffer.Write(p)
}

// TestCopyFullFillsPieces: a body read a few KiB at a time reaches the
// connection in whole pieces, the last one shorter, every byte in order.
func TestCopyFullFillsPieces(t *testing.T) {
	t.Parallel()
	content := make([]byte, 2*bulkPiece+12345)
	rand.New(rand.NewSource(1)).Read(content)
	var w writeLog
	n, err := copyFull(&w, &smallPieces{r: bytes.NewReader(content), max: 5000, err: io.EOF}, make([]byte, bulkPiece), stopped, time.Second)
	if err != nil || n != int64(len(content)) {
		t.Fatalf("copyFull: %d bytes, %v; want %d, nil", n, err, len(content))
	}
	if !bytes.Equal(w.Bytes(), content) {
		t.Fatal("the bytes written differ from the body")
	}
	want := []int{bulkPiece, bulkPiece, 12345}
	if len(w.sizes) != len(want) || w.sizes[0] != want[0] || w.sizes[1] != want[1] || w.sizes[2] != want[2] {
		t.Fatalf("writes of %v bytes, want %v", w.sizes, want)
	}
}

// TestCopyFullKeepsErrors: what was read before a read error is written
// and the error comes back as it was (an early end is not a clean end);
// a failed write stops the copy.
func TestCopyFullKeepsErrors(t *testing.T) {
	t.Parallel()
	content := bytes.Repeat([]byte("x"), 3000)
	for _, readErr := range []error{io.ErrUnexpectedEOF, errors.New("source connection dropped")} {
		var w writeLog
		n, err := copyFull(&w, &smallPieces{r: bytes.NewReader(content), max: 1000, err: readErr}, make([]byte, bulkPiece), stopped, time.Second)
		if err != readErr || n != 3000 || w.Len() != 3000 {
			t.Errorf("read error %q: copyFull wrote %d (%d), %v; want 3000, the same error", readErr, n, w.Len(), err)
		}
	}
	w := writeLog{failAfter: 100}
	n, err := copyFull(&w, bytes.NewReader(content), make([]byte, 1024), stopped, time.Second)
	if !errors.Is(err, errWriteFailed) || n != 100 || len(w.sizes) != 1 {
		t.Errorf("failing writer: copyFull wrote %d in %d writes, %v; want 100 in 1, %v", n, len(w.sizes), err, errWriteFailed)
	}
}

// slowPieces reads its content a piece at a time, each read moving the
// clock by step: a source on a bad link.
type slowPieces struct {
	smallPieces
	clock time.Time
	step  time.Duration
}

func (s *slowPieces) Read(p []byte) (int, error) {
	s.clock = s.clock.Add(s.step)
	return s.smallPieces.Read(p)
}

// TestCopyFullDoesNotHoldSlowBytes: a body that comes slowly goes on in
// what arrived within the wait, not once the piece is full, so the
// registry is not left waiting on bytes ferry already has.
func TestCopyFullDoesNotHoldSlowBytes(t *testing.T) {
	t.Parallel()
	content := bytes.Repeat([]byte("y"), 10000)
	src := &slowPieces{smallPieces: smallPieces{r: bytes.NewReader(content), max: 1000, err: io.EOF}, step: 100 * time.Millisecond}
	var w writeLog
	n, err := copyFull(&w, src, make([]byte, bulkPiece), func() time.Time { return src.clock }, 250*time.Millisecond)
	if err != nil || n != int64(len(content)) || !bytes.Equal(w.Bytes(), content) {
		t.Fatalf("copyFull: %d bytes, %v; want all %d", n, err, len(content))
	}
	// Three reads of 1000 bytes pass the 250 ms; the last piece holds the rest.
	want := []int{3000, 3000, 3000, 1000}
	if len(w.sizes) != len(want) || w.sizes[0] != want[0] || w.sizes[1] != want[1] || w.sizes[2] != want[2] || w.sizes[3] != want[3] {
		t.Fatalf("writes of %v bytes, want %v", w.sizes, want)
	}
}
