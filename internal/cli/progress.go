package cli

import (
	"fmt"
	"os"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/progress"
	"github.com/ferrytool/ferry/progress/display"
	"golang.org/x/term"
)

// progressModes are the values of --progress (a ferry extension).
const progressModes = "auto, bars, plain, json or none"

// closingReporter is a progress renderer that writes a summary and stops
// its redraw loop on Close.
type closingReporter interface {
	progress.Reporter
	Close()
}

// newProgress returns the reporter for --progress mode, writing to stderr
// (stdout carries only results): redrawn bars when stderr is a terminal
// and mode is auto, plain lines otherwise, JSON lines for tools, nothing
// for none (and quiet, --quiet). The returned func stops it and prints the
// summary; call it once the copy is over.
func (a *app) newProgress(mode string, quiet bool) (progress.Reporter, func(), error) {
	if quiet {
		mode = "none"
	}
	var r closingReporter
	switch mode {
	case "none":
		return nil, func() {}, nil
	case "auto":
		if f, ok := a.stderr.(*os.File); ok && a.isTerminal(int(f.Fd())) {
			return a.newBars()
		}
		r = display.NewPlain(a.stderr, 0)
	case "bars":
		return a.newBars()
	case "plain":
		r = display.NewPlain(a.stderr, 0)
	case "json":
		r = display.NewJSON(a.stderr)
	default:
		return nil, nil, fmt.Errorf("%w: --progress %q: want %s", errdefs.ErrInvalidArgument, mode, progressModes)
	}
	return r, r.Close, nil
}

// newBars returns bars sized to the terminal on stderr, asked at every
// redraw, and redrawn at once when it is resized (SIGWINCH).
func (a *app) newBars() (progress.Reporter, func(), error) {
	opts := []display.BarsOption{}
	if f, ok := a.stderr.(*os.File); ok {
		fd := int(f.Fd())
		opts = append(opts, display.WithWidth(func() int {
			w, _, err := term.GetSize(fd)
			if err != nil {
				return 0
			}
			return w
		}))
	}
	resized, stopWatch := watchResize()
	b := display.NewBars(a.stderr, append(opts, display.WithResize(resized))...)
	return b, func() { b.Close(); stopWatch() }, nil
}
