package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ferrytool/ferry/internal/cli"
	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
	"github.com/spf13/pflag"
)

// manDate is the date the man pages carry: fixed, so that generating them twice
// gives the same bytes (set it when a release changes the pages).
var manDate = time.Date(2026, time.November, 30, 0, 0, 0, 0, time.UTC)

// WriteManPages writes ferry's man pages, generated from the command
// definitions (cobra's doc package renders them to roff through
// go-md2man): ferry.1 and one ferry-COMMAND.1 per command, into dir,
// creating it and removing pages of commands that no longer exist.
func WriteManPages(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, err := filepath.Glob(filepath.Join(dir, "*.1"))
	if err != nil {
		return err
	}
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	root := cli.Command()
	prepareManPages(root)
	header := &doc.GenManHeader{Title: "FERRY", Section: "1", Source: "ferry", Manual: "ferry manual", Date: &manDate}
	if err := doc.GenManTree(root, header, dir); err != nil {
		return fmt.Errorf("writing man pages: %w", err)
	}
	return nil
}

// envDefaults are flags whose default comes from the environment: the
// pages show the default without it, the same on every machine.
var envDefaults = map[string]string{"authfile": "REGISTRY_AUTH_FILE"}

// prepareManPages drops cobra's "Auto generated" footer, which carries no
// information, and the environment's defaults, from c and its commands.
func prepareManPages(c *cobra.Command) {
	c.DisableAutoGenTag = true
	for _, fs := range []*pflag.FlagSet{c.Flags(), c.PersistentFlags()} {
		fs.VisitAll(func(f *pflag.Flag) {
			if env, ok := envDefaults[f.Name]; ok && f.DefValue == os.Getenv(env) {
				f.DefValue = ""
			}
		})
	}
	for _, sub := range c.Commands() {
		prepareManPages(sub)
	}
}
