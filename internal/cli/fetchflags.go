package cli

import (
	"fmt"
	"path/filepath"

	"github.com/ferrytool/ferry"
	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/fetch"
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

// options are the copy's blob cache options: none with --no-blob-cache.
func (f *fetchFlags) options(tmpDir string) ([]ferry.Option, error) {
	if f.noCache {
		return nil, nil
	}
	if f.connections < 1 {
		return nil, fmt.Errorf("%w: --connections %d: want at least 1", errdefs.ErrInvalidArgument, f.connections)
	}
	return []ferry.Option{ferry.WithBlobCache(cacheDir(f.cacheDir, tmpDir)), ferry.WithConnections(f.connections)}, nil
}
