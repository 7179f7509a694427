package mirror

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ferrytool/ferry/errdefs"
)

// checkWritable makes sure a dir: or oci: destination can be written
// before any copy starts: base, or its nearest existing parent, must be a
// directory that takes a new file. It creates nothing that stays.
func checkWritable(base string) error {
	p := filepath.Clean(base)
	for {
		st, err := os.Stat(p)
		if err == nil {
			if !st.IsDir() {
				return fmt.Errorf("%w: the destination %s cannot be written: %s is not a directory", errdefs.ErrInvalidArgument, base, p)
			}
			break
		}
		if errors.Is(err, fs.ErrPermission) {
			return fmt.Errorf("%w: the destination %s cannot be written: %v", errdefs.ErrInvalidArgument, base, err)
		}
		parent := filepath.Dir(p)
		if parent == p {
			break
		}
		p = parent
	}
	f, err := os.CreateTemp(p, ".ferry-sync-probe-*")
	if err != nil {
		return fmt.Errorf("%w: the destination %s cannot be written: %v", errdefs.ErrInvalidArgument, base, errors.Unwrap(err))
	}
	f.Close()
	return os.Remove(f.Name())
}
