//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// outKind is what a scenario asks a tool to produce.
type outKind int

const (
	kindOCI      outKind = iota // an OCI image layout directory
	kindArchive                 // a docker-archive ("docker save") tar file
	kindRegistry                // the image in a second registry
	kindSync                    // the sync images mirrored to a second registry
	kindResync                  // the same, into a registry that holds them already
)

// target names the endpoints of one command run.
type target struct {
	SrcHost string // registry (or proxy) host:port to pull from
	Src     string // SrcHost/bench:1
	Out     string // output directory (kindOCI) or file (kindArchive)
	DstHost string // kindRegistry: the second registry
	Dst     string // kindRegistry: DstHost/REPO:1; sync kinds: DstHost/mirror
	YAML    string // sync kinds: the sync file naming the source repositories
}

// tool is a program under test, or the built-in limit probe.
type tool struct {
	Name    string `json:"name"`
	Path    string `json:"path,omitempty"`
	Version string `json:"version,omitempty"`
	// Missing says why the tool is not available ("" when it is).
	Missing string `json:"missing,omitempty"`
	// argv builds the command line for a scenario; nil means the tool
	// has no way to do it ("n/a").
	argv func(k outKind, t target) []string
}

// Peer reports whether the tool is one ferry is compared with.
func (t *tool) Peer() bool { return t.Name != "ferry" && t.Name != probeName && t.Name != baselineName }

const (
	probeName    = "limit"
	baselineName = "ferry-base"
)

// skopeoArgs is skopeo's syntax, which ferry shares.
func skopeoArgs(k outKind, t target) []string {
	switch k {
	case kindOCI:
		return []string{"copy", "--src-tls-verify=false", "docker://" + t.Src, "oci:" + t.Out + ":1"}
	case kindArchive:
		return []string{"copy", "--src-tls-verify=false", "docker://" + t.Src, "docker-archive:" + t.Out + ":bench:1"}
	case kindRegistry:
		return []string{"copy", "--src-tls-verify=false", "--dest-tls-verify=false", "docker://" + t.Src, "docker://" + t.Dst}
	case kindSync, kindResync:
		return []string{"sync", "--src", "yaml", "--dest", "docker", "--dest-tls-verify=false", t.YAML, t.Dst}
	}
	return nil
}

// craneArgs: crane pull writes an OCI layout with --format=oci and a
// docker-loadable tarball by default; --insecure allows plain HTTP.
func craneArgs(k outKind, t target) []string {
	switch k {
	case kindOCI:
		return []string{"pull", "--insecure", "--format=oci", t.Src, t.Out}
	case kindArchive:
		return []string{"pull", "--insecure", t.Src, t.Out}
	case kindRegistry:
		return []string{"copy", "--insecure", t.Src, t.Dst}
	}
	return nil
}

// regctlArgs: --host overrides the registry config for one command
// (tls=disabled is plain HTTP), so no config file is written.
func regctlArgs(k outKind, t target) []string {
	hosts := []string{"--host", "reg=" + t.SrcHost + ",tls=disabled"}
	switch k {
	case kindOCI:
		return append([]string{"image", "copy", t.Src, "ocidir://" + t.Out + ":1"}, hosts...)
	case kindArchive:
		return append([]string{"image", "export", t.Src, t.Out}, hosts...)
	case kindRegistry:
		hosts = append(hosts, "--host", "reg="+t.DstHost+",tls=disabled")
		return append([]string{"image", "copy", t.Src, t.Dst}, hosts...)
	}
	return nil
}

// probeArgs re-runs this harness in probe mode (see probe.go): a
// subprocess, so it is timed and its RSS measured like the tools.
func probeArgs(k outKind, t target) []string {
	if k != kindOCI {
		return nil
	}
	return []string{"-probe", "http://" + t.SrcHost + "/bench:1", "-probe-out", t.Out}
}

// findTools locates the peers (first in peerDir, then on PATH), the probe
// (this executable), ferry (binary given, or built from the module at
// modRoot into binDir) and, when baselineBin is given, an earlier ferry
// to compare with. Tools not wanted are left out; missing ones are kept
// with the reason so the report can say "n/a".
func findTools(ctx context.Context, wanted map[string]bool, ferryBin, baselineBin, modRoot, binDir, peerDir string, logf func(string, ...any)) []*tool {
	var out []*tool
	want := func(n string) bool { return len(wanted) == 0 || wanted[n] }

	if want("ferry") {
		t := &tool{Name: "ferry", argv: skopeoArgs}
		switch {
		case ferryBin != "":
			t.Path = ferryBin
		case modRoot == "":
			t.Missing = "not run from the ferry module (give -ferry PATH)"
		default:
			t.Path = filepath.Join(binDir, "ferry")
			logf("tools: building ferry from %s", modRoot)
			cmd := exec.CommandContext(ctx, "go", "build", "-o", t.Path, "./cmd/ferry")
			cmd.Dir = modRoot
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0") // as ferry is released: static, no btrfs headers needed
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Missing = "build failed: " + firstLine(string(b))
				t.Path = ""
			}
		}
		if t.Missing == "" {
			t.Version = ferryVersion(ctx, t.Path, modRoot)
		}
		out = append(out, t)
	}
	if baselineBin != "" {
		t := &tool{Name: baselineName, Path: baselineBin, argv: skopeoArgs}
		if !isExecutable(baselineBin) {
			t.Missing, t.Path = "not an executable file: "+baselineBin, ""
		} else {
			t.Version = output(ctx, baselineBin, "--version")
		}
		out = append(out, t)
	}
	peers := []struct {
		name    string
		argv    func(outKind, target) []string
		version []string
	}{
		{"skopeo", skopeoArgs, []string{"--version"}},
		{"crane", craneArgs, []string{"version"}},
		{"regctl", regctlArgs, []string{"version", "--format", "{{.VCSTag}}"}},
	}
	for _, p := range peers {
		if !want(p.name) {
			continue
		}
		t := &tool{Name: p.name, argv: p.argv}
		if path := filepath.Join(peerDir, p.name); peerDir != "" && isExecutable(path) {
			t.Path = path
		} else if path, err := exec.LookPath(p.name); err == nil {
			t.Path = path
		} else {
			t.Missing = "not found on PATH or in " + peerDir
		}
		if t.Path != "" {
			t.Version = strings.TrimPrefix(output(ctx, t.Path, p.version...), "skopeo version ")
		}
		out = append(out, t)
	}
	if want(probeName) {
		t := &tool{Name: probeName, Version: "built-in parallel GETs", argv: probeArgs}
		exe, err := os.Executable()
		if err != nil {
			t.Missing = err.Error()
		}
		t.Path = exe
		out = append(out, t)
	}
	return out
}

// ferryVersion is the module's commit (with "+dirty" for local changes),
// which says exactly what was measured.
func ferryVersion(ctx context.Context, bin, modRoot string) string {
	v := ""
	if modRoot != "" {
		v = output(ctx, "git", "-C", modRoot, "describe", "--always", "--dirty=+dirty")
	}
	if v == "" {
		v = output(ctx, bin, "--version")
	}
	return v
}

// output runs a short command and returns the first line it printed.
func output(ctx context.Context, name string, args ...string) string {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var b bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout = &b
	if err := cmd.Run(); err != nil {
		return ""
	}
	return firstLine(b.String())
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// moduleRoot finds the directory of go.mod for the ferry module, walking
// up from the working directory; "" when not inside it.
func moduleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module github.com/ferrytool/ferry\n")) {
			return dir
		}
		// Keep walking up through bench's own module (run from bench/);
		// any other module means we are not in ferry's tree.
		if err == nil && !bytes.Contains(b, []byte("module github.com/ferrytool/ferry/bench\n")) {
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

func (t *tool) String() string {
	if t.Missing != "" {
		return fmt.Sprintf("%s (n/a: %s)", t.Name, t.Missing)
	}
	if t.Version == "" {
		return t.Name
	}
	return t.Name + " " + t.Version
}
