package sif

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
)

// runscriptPath is where the script made of the definition file's
// %environment and %runscript goes in the layer, and the image's Cmd
// (containers/image's injectedScriptTargetPath).
const runscriptPath = "/podman/runscript"

// maxDeffile bounds the definition file read into memory.
const maxDeffile = 1 << 20

// parseDeffile returns the lines of the definition file's %environment
// section (trimmed; blank lines and comments left out) and of its
// %runscript section (trimmed), as containers/image reads them.
func parseDeffile(r io.Reader) (env, run []string, err error) {
	const (
		other = iota
		inEnv
		inRun
	)
	state := other
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		s := strings.TrimSpace(sc.Text())
		switch {
		case s == "%environment":
			state = inEnv
		case s == "%runscript":
			state = inRun
		case strings.HasPrefix(s, "%"):
			state = other
		case state == inEnv:
			if s != "" && !strings.HasPrefix(s, "#") {
				env = append(env, s)
			}
		case state == inRun:
			run = append(run, s)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("%w: reading the SIF's definition file: %v", errdefs.ErrInvalidArchive, err)
	}
	return env, run, nil
}

// runscript is the script injected at runscriptPath and the command the
// image runs: bash, with no script, when the definition file has neither
// an environment nor a run script (or there is none).
func runscript(env, run []string) (cmd string, script []byte) {
	if len(env) == 0 && len(run) == 0 {
		return "bash", nil
	}
	return runscriptPath, []byte("#!/bin/bash\n" + strings.Join(env, "\n") + "\n" + strings.Join(run, "\n") + "\n")
}
