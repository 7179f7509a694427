package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/ferrytool/ferry"
	"github.com/spf13/cobra"
)

// maxManifestFile bounds the manifest file read into memory; registries
// refuse manifests over 4 MiB, so anything much larger is not a manifest.
const maxManifestFile = 16 << 20

func (a *app) manifestDigestCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "manifest-digest MANIFEST-FILE",
		Short: "Compute a manifest digest of a file",
		Long: `Print the digest of the manifest in MANIFEST-FILE, as a registry computes it:
the SHA-256 of the file's bytes, or, for a signed Docker schema-1 manifest,
of its payload without the JWS signatures.`,
		Example: `  ferry manifest-digest manifest.json`,
		Args:    exactArgs(1, "MANIFEST-FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := readSmallFile(args[0], maxManifestFile)
			if err != nil {
				return err
			}
			d, err := ferry.ManifestDigest(b)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			_, err = fmt.Fprintf(a.stdout, "%s\n", d)
			return err
		},
	}
}

// readSmallFile reads a file (or pipe) that must not exceed limit bytes.
func readSmallFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: more than %d bytes is too large for a manifest", path, limit)
	}
	return b, nil
}
