package blobstore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/ferrytool/ferry/errdefs"
)

// CheckDir is how a directory-based source checks its path: a missing one
// is errdefs.ErrNotFound, one that is not a directory
// errdefs.ErrInvalidArgument.
func CheckDir(path string) error {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: no such directory", errdefs.ErrNotFound)
	}
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%w: %s is not a directory", errdefs.ErrInvalidArgument, path)
	}
	return nil
}
