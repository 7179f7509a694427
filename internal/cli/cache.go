package cli

import (
	"encoding/json"
	"fmt"

	"github.com/ferrytool/ferry/fetch"
	"github.com/spf13/cobra"
)

// cacheCommand inspects and empties the download cache (a ferry extension).
func (a *app) cacheCommand() *cobra.Command {
	var dir string
	open := func() (*fetch.Cache, error) { return fetch.NewCache(cacheDir(dir, a.global.tmpDir)) }
	cmd := &cobra.Command{
		Use:   "cache",
		Short: "List or clear the download cache that lets interrupted copies resume",
		Long: `ferry keeps large downloads in a cache directory while they arrive, so a copy
that was interrupted (Ctrl-C, a crash, a dropped link) resumes where it stopped,
and later copies of the same blobs reuse them. The cache is bounded (10 GiB by
default, least recently used blobs go first).`,
		Example: `  ferry cache list
  ferry cache clear`,
	}
	cmd.PersistentFlags().StringVar(&dir, "blob-cache", "", "`DIR` of the cache (default $XDG_CACHE_HOME/ferry/blobs)")
	list := &cobra.Command{
		Use:   "list",
		Short: "List cached blobs as JSON: digest, size, bytes stored, complete or partial",
		Args:  exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := open()
			if err != nil {
				return err
			}
			entries, err := c.List()
			if err != nil {
				return err
			}
			type row struct {
				Digest   string
				Size     int64
				Stored   int64
				Complete bool
				LastUsed string
			}
			rows := make([]row, 0, len(entries))
			for _, e := range entries {
				rows = append(rows, row{e.Digest.String(), e.Size, e.Stored, e.Complete, e.Used.UTC().Format("2006-01-02T15:04:05Z")})
			}
			b, err := json.MarshalIndent(rows, "", "    ")
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.stdout, "%s\n", b)
			return err
		},
	}
	clear := &cobra.Command{
		Use:   "clear",
		Short: "Remove every cached blob not in use by a running copy",
		Args:  exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := open()
			if err != nil {
				return err
			}
			return c.Clear()
		},
	}
	cmd.AddCommand(list, clear)
	return cmd
}
