package cli

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// enginePackages are the packages package ferry is built on. The
// commands reach them through package ferry, the front door (issue 19:
// no second way in), so that what a command does is what a Go program
// calling ferry gets.
var enginePackages = []string{
	"github.com/ferrytool/ferry/copier",
	"github.com/ferrytool/ferry/fetch",
	"github.com/ferrytool/ferry/inspect",
	"github.com/ferrytool/ferry/mirror",
	"github.com/ferrytool/ferry/registry",
	"github.com/ferrytool/ferry/transport",
	"github.com/ferrytool/ferry/transports",
}

// engineExceptions are the files of the command line that still import an
// engine package, and why. None of them moves an image: they are the
// types the flags are decoded into before frontdoor.go turns them into
// ferry options, and commands that are about the process rather than an
// image.
var engineExceptions = map[string][]string{
	// The flags of a copy (and of a sync's copies) are decoded into
	// copier.Options and the transports' configuration first, which the
	// flag tests check; frontdoor.go turns them into ferry options.
	"copy.go":       {"github.com/ferrytool/ferry/copier", "github.com/ferrytool/ferry/registry"}, // chunk size bounds
	"copyflags.go":  {"github.com/ferrytool/ferry/copier"},
	"frontdoor.go":  {"github.com/ferrytool/ferry/copier", "github.com/ferrytool/ferry/transport/storage/store"}, // containers-storage: opted in
	"sync.go":       {"github.com/ferrytool/ferry/copier"},
	"trust.go":      {"github.com/ferrytool/ferry/copier"},
	"signflags.go":  {"github.com/ferrytool/ferry/copier"}, // the signers, given as ferry.WithSigners
	"imageflags.go": {"github.com/ferrytool/ferry/transport", "github.com/ferrytool/ferry/transport/docker", "github.com/ferrytool/ferry/transports"},
	"global.go":     {"github.com/ferrytool/ferry/transport"},
	// The copier's typed refusals, worded in terms of the flags.
	"copyerrors.go": {"github.com/ferrytool/ferry/copier"},
	// The process's one registry pool, handed to ferry.WithRegistryPool.
	"run.go":  {"github.com/ferrytool/ferry/registry"},
	"pool.go": {"github.com/ferrytool/ferry/registry"},
	// Credentials from --creds and friends, decoded into auth.Settings.
	"creds.go": {"github.com/ferrytool/ferry/registry/auth"},
	// The blob cache command and the download flags' defaults.
	"cache.go":      {"github.com/ferrytool/ferry/fetch"},
	"fetchflags.go": {"github.com/ferrytool/ferry/fetch"},
	// Whether an archive would be written to a terminal, and the help
	// text listing the transports.
	"terminal.go":      {"github.com/ferrytool/ferry/transport"},
	"transporthelp.go": {"github.com/ferrytool/ferry/transports"},
}

// TestCommandsUseTheFrontDoor fails when a file of the command line
// imports an engine package it is not listed for in engineExceptions, and
// when a listed exception is no longer needed (so the list only shrinks).
func TestCommandsUseTheFrontDoor(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string][]string{}
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range parsed.Imports {
			path, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				t.Fatal(err)
			}
			if !isEngine(path) {
				continue
			}
			used[f] = append(used[f], path)
			if !slices.Contains(engineExceptions[f], path) {
				t.Errorf("%s imports %s: go through package ferry (or list the file in engineExceptions, saying why)", f, path)
			}
		}
	}
	if checked < 20 {
		t.Fatalf("found only %d files of the command line; run from internal/cli?", checked)
	}
	for f, paths := range engineExceptions {
		for _, p := range paths {
			if !slices.Contains(used[f], p) {
				t.Errorf("engineExceptions lists %s for %s, which no longer imports it: remove it from the list", p, f)
			}
		}
	}
}

func isEngine(path string) bool {
	for _, e := range enginePackages {
		if path == e || strings.HasPrefix(path, e+"/") {
			return true
		}
	}
	return false
}
