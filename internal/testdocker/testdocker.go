// Package testdocker starts a real, private Docker Engine for tests: one
// dockerd per test binary, in a temporary directory, with no networking,
// no iptables and the vfs storage driver, so it runs anywhere root can run
// it and touches nothing of the host's Docker. There is no registry to
// pull from: tests create images by loading archives they build.
//
// A package using it calls Stop from TestMain after m.Run.
package testdocker

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ferrytool/ferry/internal/testenv"
)

// Daemon is a running dockerd.
type Daemon struct {
	// Host is its address, for DOCKER_HOST or Options.DaemonHost.
	Host string
	dir  string
	cmd  *exec.Cmd
	log  *os.File
	// exited receives dockerd's exit status.
	exited chan error
}

var (
	mu      sync.Mutex
	started *Daemon
	failed  error
)

// startTimeout bounds how long dockerd may take to answer /_ping; it is a
// guard against a hang, not a timed assertion.
const startTimeout = 2 * time.Minute

// Start returns the test binary's dockerd, starting it on first use. It
// skips the test where dockerd is not installed or ferry is not root
// (and fails instead when $CI is set).
func Start(t testing.TB) *Daemon {
	t.Helper()
	path := testenv.NeedCommand(t, "dockerd")
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("dockerd needs root, and CI runs the Docker tests")
		}
		t.Skip("dockerd needs root")
	}
	mu.Lock()
	defer mu.Unlock()
	if started == nil && failed == nil {
		started, failed = start(path)
	}
	if failed != nil {
		t.Fatalf("starting dockerd: %v", failed)
	}
	return started
}

func start(path string) (*Daemon, error) {
	dir, err := os.MkdirTemp("", "ferry-dockerd-")
	if err != nil {
		return nil, err
	}
	d := &Daemon{dir: dir, Host: "unix://" + filepath.Join(dir, "docker.sock")}
	if d.log, err = os.Create(filepath.Join(dir, "dockerd.log")); err != nil {
		return nil, err
	}
	d.cmd = exec.Command(path,
		"--iptables=false", "--ip6tables=false", "--bridge=none", "--storage-driver=vfs",
		"-H", d.Host,
		"--data-root", filepath.Join(dir, "root"),
		"--exec-root", filepath.Join(dir, "exec"),
		"--pidfile", filepath.Join(dir, "pid"),
	)
	d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	// Its own process group, so Stop can also reach the containerd it
	// starts if dockerd must be killed.
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		d.cleanup()
		return nil, err
	}
	exited := make(chan error, 1)
	d.exited = exited
	go func() { exited <- d.cmd.Wait() }()
	client := d.Client()
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case err := <-exited:
			log, _ := os.ReadFile(d.log.Name())
			d.cleanup()
			return nil, fmt.Errorf("dockerd exited: %v\n%s", err, log)
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := client.Get("http://docker/_ping")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return d, nil
			}
		}
		if time.Now().After(deadline) {
			d.kill()
			<-exited
			d.cleanup()
			return nil, fmt.Errorf("dockerd did not answer /_ping within %v", startTimeout)
		}
	}
}

// Client is an HTTP client that reaches the daemon (any host name works).
func (d *Daemon) Client() *http.Client {
	sock := filepath.Join(d.dir, "docker.sock")
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var nd net.Dialer
		return nd.DialContext(ctx, "unix", sock)
	}}}
}

// Docker runs the docker CLI against the daemon and returns its stdout.
func (d *Daemon) Docker(t testing.TB, args ...string) []byte {
	t.Helper()
	cli := testenv.NeedCommand(t, "docker")
	cmd := exec.Command(cli, args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+d.Host)
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("docker %v: %v\n%s", args, err, stderr)
	}
	return out
}

func (d *Daemon) kill() {
	if d.cmd != nil && d.cmd.Process != nil {
		syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
	}
}

func (d *Daemon) cleanup() {
	if d.log != nil {
		d.log.Close()
	}
	os.RemoveAll(d.dir)
}

// Stop stops the dockerd Start started, if any: SIGTERM, then SIGKILL to
// its process group if it has not exited within a minute.
func Stop() {
	mu.Lock()
	defer mu.Unlock()
	d := started
	started = nil
	if d == nil {
		return
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(time.Minute):
		d.kill()
		<-d.exited
	}
	d.cleanup()
}
