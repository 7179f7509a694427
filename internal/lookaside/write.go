package lookaside

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"github.com/ferrytool/ferry/internal/fsutil"
	"github.com/opencontainers/go-digest"
)

// Write stores sigs as the signatures of the manifest with digest d under
// base, a file:// storage (see Writable), replacing those it held: each
// file is written atomically (a reader sees the old signature or the new
// one), then the old signatures past the new ones are removed, up to the
// first missing one, which is where readers stop anyway.
func Write(ctx context.Context, base *url.URL, d digest.Digest, sigs [][]byte) error {
	if err := Writable(base); err != nil {
		return err
	}
	for i, sig := range sigs {
		if err := ctx.Err(); err != nil {
			return err
		}
		u, err := SignatureURL(base, d, i)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(u.Path), fsutil.DirPerm); err != nil {
			return fmt.Errorf("writing signature: %w", err)
		}
		if err := fsutil.WriteFile(u.Path, sig); err != nil {
			return fmt.Errorf("writing signature: %w", err)
		}
	}
	return removeFrom(base, d, len(sigs))
}

// Delete removes the signatures of the manifest with digest d from base,
// a file:// storage, as containers/image does when an image is deleted:
// signature-1, signature-2, ... up to the first missing one.
func Delete(ctx context.Context, base *url.URL, d digest.Digest) error {
	if err := Writable(base); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return removeFrom(base, d, 0)
}

// removeFrom removes signature first+1, first+2, ... up to the first
// missing one (readers stop there anyway).
func removeFrom(base *url.URL, d digest.Digest, first int) error {
	for i := first; i < first+MaxSignatures; i++ {
		u, err := SignatureURL(base, d, i)
		if err != nil {
			return err
		}
		err = os.Remove(u.Path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("removing a signature: %w", err)
		}
	}
	return nil
}
