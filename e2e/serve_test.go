package e2e

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// served is a `ferry serve` process started by a test.
type served struct {
	host string // HOST:PORT it listens on
	cmd  *exec.Cmd

	mu     sync.Mutex
	stderr strings.Builder // the access log and messages, as written so far
	done   chan struct{}   // closed once stderr is drained
}

var servingLine = regexp.MustCompile(`^ferry serve: serving .* at https?://(\S+) \(`)

// startServe runs `ferry serve --addr 127.0.0.1:0 ARGS...` and returns
// once it has said where it listens. It is stopped with SIGTERM, as a
// service manager stops it, when the test ends (or by stop).
func startServe(t *testing.T, args ...string) *served {
	t.Helper()
	s := &served{done: make(chan struct{})}
	s.cmd = exec.Command(ferryBin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	home := t.TempDir()
	s.cmd.Env = append(os.Environ(), "HOME="+home, "XDG_RUNTIME_DIR="+home, "XDG_CACHE_HOME="+filepath.Join(home, ".cache"))
	pipe, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.stderr.WriteString(line + "\n")
			s.mu.Unlock()
			if m := servingLine.FindStringSubmatch(line); m != nil {
				addr <- m[1]
			}
		}
		io.Copy(io.Discard, pipe)
	}()
	t.Cleanup(func() { s.stop(t) })
	select {
	case s.host = <-addr:
	case <-s.done:
		s.cmd.Wait()
		t.Fatalf("ferry serve %s exited before serving:\n%s", strings.Join(args, " "), s.log())
	}
	return s
}

// stop sends SIGTERM and waits for the process to end; it returns how
// the process ended: its exit code, or 128+N for death by signal N (ferry
// dies of SIGTERM, 143, once it has shut down cleanly).
func (s *served) stop(t *testing.T) int {
	t.Helper()
	if s.cmd.ProcessState == nil {
		s.cmd.Process.Signal(syscall.SIGTERM)
		<-s.done
		s.cmd.Wait()
	}
	if ws, ok := s.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return s.cmd.ProcessState.ExitCode()
}

// log is what the server wrote on stderr so far.
func (s *served) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.String()
}

// requests lists the access log's request lines ("METHOD URI") so far.
func (s *served) requests() []string {
	var out []string
	for _, line := range strings.Split(s.log(), "\n") {
		if _, rest, ok := strings.Cut(line, `] "`); ok {
			if req, _, ok := strings.Cut(rest, ` HTTP/`); ok {
				out = append(out, req)
			}
		}
	}
	return out
}
