//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// sandbox is the private world of one command run: HOME, TMPDIR and the
// XDG directories point inside it, so no tool sees another's cache or
// config, and everything a tool writes can be measured and removed.
type sandbox struct {
	Dir  string
	Home string
	Tmp  string
	Log  string
}

func newSandbox(dir string) (*sandbox, error) {
	s := &sandbox{Dir: dir, Home: filepath.Join(dir, "home"), Tmp: filepath.Join(dir, "tmp"), Log: filepath.Join(dir, "log")}
	for _, d := range []string{s.Home, s.Tmp, filepath.Join(s.Home, "run")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// env is the whole environment of a tool: nothing from the harness's own
// environment but PATH (no proxies, no credentials, no config).
func (s *sandbox) env() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + s.Home,
		"TMPDIR=" + s.Tmp,
		"XDG_CACHE_HOME=" + filepath.Join(s.Home, ".cache"),
		"XDG_CONFIG_HOME=" + filepath.Join(s.Home, ".config"),
		"XDG_DATA_HOME=" + filepath.Join(s.Home, ".local", "share"),
		"XDG_RUNTIME_DIR=" + filepath.Join(s.Home, "run"),
		"LANG=C.UTF-8",
	}
}

// runSpec is one command to run and measure.
type runSpec struct {
	Tool    *tool
	Args    []string
	Box     *sandbox
	Timeout time.Duration
	// SampleDisk samples the sandbox's disk use every 100 ms.
	SampleDisk bool
	// ToDisk adds to the run the time the kernel then takes to write what
	// it left in the page cache (a sync(2) after it exits), for scenarios
	// whose output is on local disk.
	ToDisk bool
	// KillWhen, when set, is polled every 10 ms; once it returns true the
	// process group gets SIGKILL (a crash, a dropped VPN, an OOM kill).
	KillWhen func() bool
}

// runResult is what one command run measured.
type runResult struct {
	Wall time.Duration `json:"wallNanos"`
	// ToDisk is Wall plus the sync(2) after the exit (see runSpec.ToDisk):
	// the time until the output is on disk. A tool that fsyncs what it
	// wrote has paid that before it exits; one that does not would
	// otherwise hand the cost to whatever runs next.
	ToDisk    time.Duration `json:"toDiskNanos,omitempty"`
	MaxRSSKiB int64         `json:"maxRSSKiB"`
	// MaxAnonKiB is the largest anonymous resident set sampled: memory
	// the run allocated, without the executable\'s own pages.
	MaxAnonKiB int64 `json:"maxAnonKiB"`
	// Wire is the source registry's count for this run; Delivered the
	// bytes the slow link passed to the tool (0 on the fast link).
	Wire      wireCount `json:"wire"`
	Delivered int64     `json:"linkDeliveredBytes,omitempty"`
	Pushed    int64     `json:"pushedBytes,omitempty"`
	DiskPeak  int64     `json:"diskPeakBytes,omitempty"`
	OutSize   int64     `json:"outputBytes,omitempty"`
	Killed    bool      `json:"killed,omitempty"`
	Err       string    `json:"error,omitempty"`
}

// Fetched is the blob bytes the run took from the registry: on the slow
// link, what crossed the link (the registry itself sends a little more,
// into socket buffers the tool never reads once it closes a connection);
// elsewhere, what the registry sent.
func (r runResult) Fetched() int64 {
	if r.Delivered > 0 {
		return r.Delivered
	}
	return r.Wire.BlobBytesOut
}

// Time is the run's time that counts: until the output is on disk when
// that was measured, else until the tool exited.
func (r runResult) Time() time.Duration {
	if r.ToDisk > 0 {
		return r.ToDisk
	}
	return r.Wall
}

// run starts the command in its own process group, waits for it (or for
// the timeout, Ctrl-C or KillWhen, which kill the whole group), and
// returns wall time, peak RSS and the disk peak. Counters are the
// caller's business.
func run(ctx context.Context, s runSpec) runResult {
	var res runResult
	logf, err := os.Create(s.Box.Log)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	defer logf.Close()
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()

	cmd := exec.CommandContext(ctx, s.Tool.Path, s.Args...)
	cmd.Env = s.Box.env()
	cmd.Dir = s.Box.Dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second

	var (
		wg   sync.WaitGroup
		done = make(chan struct{})
		peak int64
	)
	// Every run starts with nothing left dirty by the one before it.
	syscall.Sync()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		res.Err = err.Error()
		return res
	}
	if s.SampleDisk {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			for {
				peak = max(peak, diskUse(s.Box.Dir))
				select {
				case <-done:
					return
				case <-t.C:
				}
			}
		}()
	}
	// Peak RSS: the kernel's high-water mark (VmHWM), sampled while the
	// process lives. getrusage's ru_maxrss cannot be used: Go starts
	// children with vfork, so at exec the child inherits the harness's own
	// high-water mark as a floor (see exec_mmap in the kernel).
	// Peak anonymous memory (RssAnon: heap, stacks, buffers; not the
	// pages of the executable, which every run of a tool maps alike and
	// the kernel can drop) has no high-water mark: the largest sample.
	var hwm, anon atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
			if kib := statusKiB(status, "VmHWM"); kib > hwm.Load() {
				hwm.Store(kib)
			}
			if kib := statusKiB(status, "RssAnon"); kib > anon.Load() {
				anon.Store(kib)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	if s.KillWhen != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(10 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
				}
				if s.KillWhen() {
					res.Killed = true
					_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
					return
				}
			}
		}()
	}
	werr := cmd.Wait()
	res.Wall = time.Since(start)
	if s.ToDisk && werr == nil && !res.Killed {
		syscall.Sync()
		res.ToDisk = time.Since(start)
	}
	close(done)
	wg.Wait()
	if s.SampleDisk {
		res.DiskPeak = max(peak, diskUse(s.Box.Dir))
	}
	res.MaxRSSKiB, res.MaxAnonKiB = hwm.Load(), anon.Load()
	switch {
	case res.Killed:
	case ctx.Err() != nil && errors.Is(context.Cause(ctx), context.DeadlineExceeded):
		res.Err = fmt.Sprintf("timed out after %s", s.Timeout)
	case ctx.Err() != nil:
		res.Err = "interrupted"
	case werr != nil:
		res.Err = fmt.Sprintf("%v: %s", werr, logTail(s.Box.Log))
	}
	return res
}

// statusKiB reads a size in KiB from a live process's status file
// (proc(5), /proc/PID/status: VmHWM, RssAnon), 0 once it has exited.
func statusKiB(status, field string) int64 {
	v := procField(status, field)
	kib, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(v, "kB")), 10, 64)
	return kib
}

// diskUse is the space the files under dir occupy (allocated blocks, as
// du counts them). Files that vanish mid-walk are skipped.
func diskUse(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if info, err := d.Info(); err == nil {
			if st, ok := info.Sys().(*syscall.Stat_t); ok {
				n += st.Blocks * 512
			}
		}
		return nil
	})
	return n
}

// treeSize is the apparent size of the regular files under dir.
func treeSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// logTail is the last lines a tool printed, for failure reports.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 3 {
		lines = lines[len(lines)-3:]
	}
	s := strings.Join(lines, " | ")
	if len(s) > 400 {
		s = s[len(s)-400:]
	}
	return s
}
