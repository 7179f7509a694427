package cli

import (
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/fetch"
	"github.com/ferrytool/ferry/progress"
	"github.com/spf13/pflag"
)

// fetchFlags tune the multi-connection, resumable downloads (ferry
// extensions; skopeo has no equivalent).
type fetchFlags struct {
	connections int
	cacheDir    string
	noCache     bool
}

func (f *fetchFlags) register(fs *pflag.FlagSet) {
	fs.IntVar(&f.connections, "connections", fetch.DefaultConnections, "connections per registry host for downloads; large blobs are fetched as byte ranges over several")
	fs.StringVar(&f.cacheDir, "blob-cache", "", "`DIR` keeping partial and finished downloads so an interrupted copy resumes (default $XDG_CACHE_HOME/ferry/blobs, or DIR/ferry-blobs under --tmpdir)")
	fs.BoolVar(&f.noCache, "no-blob-cache", false, "stream every blob over one connection, keeping nothing for a resume")
}

// cacheDir is where downloads are kept: --blob-cache, else under --tmpdir,
// else the user's cache directory.
func cacheDir(flag, tmpDir string) string {
	switch {
	case flag != "":
		return flag
	case tmpDir != "":
		return filepath.Join(tmpDir, "ferry-blobs")
	}
	return ""
}

// fetcher builds the copy's Fetcher, or nil with --no-blob-cache.
func (f *fetchFlags) fetcher(tmpDir string, log *slog.Logger, rep progress.Reporter) (*fetch.Fetcher, error) {
	if f.noCache {
		return nil, nil
	}
	if f.connections < 1 {
		return nil, fmt.Errorf("%w: --connections %d: want at least 1", errdefs.ErrInvalidArgument, f.connections)
	}
	opts := []fetch.Option{fetch.WithDir(cacheDir(f.cacheDir, tmpDir)), fetch.WithConnections(f.connections), fetch.WithLogger(log)}
	if rep != nil {
		opts = append(opts, fetch.WithProgress(rep))
	}
	return fetch.New(opts...)
}
