package signature

import (
	"fmt"

	"github.com/ferrytool/ferry/errdefs"
)

// denied is a refused signature or key: it matches errdefs.ErrDenied with
// errors.Is but reads as the reason alone, in containers/image's words,
// so callers can quote it after "Source image rejected: ".
func denied(format string, a ...any) error {
	return &deniedError{err: fmt.Errorf(format, a...)}
}

type deniedError struct{ err error }

func (d *deniedError) Error() string        { return d.err.Error() }
func (d *deniedError) Unwrap() error        { return d.err }
func (d *deniedError) Is(target error) bool { return target == errdefs.ErrDenied }
