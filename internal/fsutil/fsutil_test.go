package fsutil

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func TestWriteFileReplacesAtomically(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	for _, want := range []string{"first", "second, longer"} {
		if err := WriteFile(p, []byte(want)); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	assertOnly(t, dir, "f")
}

// failingReader returns its data, then fails instead of returning io.EOF, as
// a verifying reader does at the end of bad content.
type failingReader struct{ r io.Reader }

var errBad = errors.New("bad content")

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errBad
	}
	return n, err
}

func TestTemp(t *testing.T) {
	t.Parallel()
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		r       io.Reader
		wantErr error
	}{
		{"ok", context.Background(), bytes.NewReader([]byte("hello")), nil},
		{"reader fails at end", context.Background(), &failingReader{bytes.NewReader([]byte("hello"))}, errBad},
		{"canceled", canceled, bytes.NewReader([]byte("hello")), context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			tmp, err := NewTemp(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer tmp.Discard()
			_, err = tmp.CopyFrom(tt.ctx, tt.r)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("CopyFrom: got %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				tmp.Discard()
				assertOnly(t, dir)
				return
			}
			if err := tmp.Commit(filepath.Join(dir, "blob")); err != nil {
				t.Fatal(err)
			}
			if tmp.Size() != 5 {
				t.Errorf("Size: got %d, want 5", tmp.Size())
			}
			st, err := os.Stat(filepath.Join(dir, "blob"))
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != FilePerm {
				t.Errorf("mode: got %v, want %v", st.Mode().Perm(), FilePerm)
			}
			assertOnly(t, dir, "blob")
		})
	}
}

// assertOnly checks that dir holds exactly the named entries.
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if len(got) != len(names) {
		t.Fatalf("%s holds %v, want %v", dir, got, names)
	}
	for i := range got {
		if got[i] != names[i] {
			t.Fatalf("%s holds %v, want %v", dir, got, names)
		}
	}
}

func TestRemoveStale(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A PID far above pid_max names no process: a killed writer's leftover.
	dead := filepath.Join(dir, TempPrefix+"999999999-123")
	mine := filepath.Join(dir, TempPrefix+strconv.Itoa(os.Getpid())+"-456")
	other := filepath.Join(dir, "blob")
	old := filepath.Join(dir, TempPrefix+"nopid")
	for _, p := range []string{dead, mine, other, old} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if n := RemoveStale(dir); n != 1 {
		t.Errorf("removed %d files, want 1", n)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Error("the dead writer's file is still there")
	}
	for _, p := range []string{mine, other, old} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed", p)
		}
	}
}
