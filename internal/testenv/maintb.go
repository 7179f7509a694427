package testenv

import (
	"fmt"
	"os"
	"sync"
	"testing"
)

// MainTB is a testing.TB for TestMain, where no *testing.T exists yet: it
// lets a package start what its Example functions need (a test registry
// from testregistry.New, say) before m.Run, since examples take no
// *testing.T. Fatal and Fatalf panic: a fixture that cannot start fails
// the whole binary loudly. Cleanup functions run at Close, last first.
// Methods a fixture should not need (Run, Parallel, Skip...) are left to
// the nil embedded TB and panic if called.
type MainTB struct {
	testing.TB

	mu       sync.Mutex
	cleanups []func()
}

// NewMainTB returns a MainTB; call Close once m.Run has returned.
func NewMainTB() *MainTB { return &MainTB{} }

func (m *MainTB) Helper()      {}
func (m *MainTB) Name() string { return "TestMain" }
func (m *MainTB) Failed() bool { return false }

func (m *MainTB) Log(args ...any)                 { fmt.Fprintln(os.Stderr, args...) }
func (m *MainTB) Logf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
func (m *MainTB) Error(args ...any)               { m.Fatal(args...) }
func (m *MainTB) Errorf(format string, args ...any) {
	m.Fatalf(format, args...)
}
func (m *MainTB) Fatal(args ...any) { panic("TestMain: " + fmt.Sprint(args...)) }
func (m *MainTB) Fatalf(format string, args ...any) {
	panic("TestMain: " + fmt.Sprintf(format, args...))
}
func (m *MainTB) FailNow() { panic("TestMain: FailNow") }

// Cleanup registers f to run at Close.
func (m *MainTB) Cleanup(f func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cleanups = append(m.cleanups, f)
}

// TempDir returns a new temporary directory, removed at Close.
func (m *MainTB) TempDir() string {
	dir, err := os.MkdirTemp("", "ferry-testmain-")
	if err != nil {
		m.Fatal(err)
	}
	m.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// Close runs the registered cleanups, last first.
func (m *MainTB) Close() {
	m.mu.Lock()
	fs := m.cleanups
	m.cleanups = nil
	m.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}
