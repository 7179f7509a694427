//go:build unix

package fsutil

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestLock(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "x.lock")
	held, err := Lock(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := TryLock(p); !errors.Is(err, ErrLocked) {
		t.Fatalf("TryLock while held: got %v, want %v", err, ErrLocked)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Lock(ctx, p); !errors.Is(err, context.Canceled) {
		t.Fatalf("Lock while held, canceled: got %v, want %v", err, context.Canceled)
	}
	held.Unlock()
	held.Unlock() // a second Unlock does nothing
	if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the lock file is left after Unlock (stat: %v)", err)
	}
	again, err := TryLock(p)
	if err != nil {
		t.Fatalf("TryLock after Unlock: %v", err)
	}
	again.Unlock()
}

// TestCommitOntoSameFile: committing a hard link of a file onto another
// link of the same file (two writers linking one cached blob) leaves no
// temporary name, though rename(2) does nothing there.
func TestCommitOntoSameFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := filepath.Join(t.TempDir(), "cached")
	if err := os.WriteFile(src, []byte("blob"), 0o644); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		tmp, err := NewTempLink(dir, src)
		if err != nil {
			t.Fatal(err)
		}
		if err := tmp.Commit(filepath.Join(dir, "blob")); err != nil {
			t.Fatal(err)
		}
	}
	assertOnly(t, dir, "blob")
}

func TestWriteFileMode(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "auth.json")
	if err := WriteFileMode(p, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode: got %v, want 0600", st.Mode().Perm())
	}
}
