package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/transport"
)

// archiveTransports write a binary tar to stdout when their path is "-".
var archiveTransports = []string{"docker-archive", "oci-archive"}

// checkArchiveNotToTerminal refuses to write a binary archive onto a
// terminal, as `docker save` does: a tar on a terminal is garbage on the
// screen and can send it control sequences.
func (a *app) checkArchiveNotToTerminal(dstName string) error {
	tr, details, ok := strings.Cut(dstName, ":")
	if !ok || !isArchiveTransport(tr) {
		return nil
	}
	f, ok := a.stdout.(*os.File)
	if !ok || !a.isTerminal(int(f.Fd())) {
		return nil
	}
	if path, _ := transport.SplitPathAndRef(details); path != "-" && !sameAsStdout(path, f) {
		return nil
	}
	return fmt.Errorf("%w: cowardly refusing to save to a terminal. Use a file name instead of -, or redirect standard output (%s:- > image.tar)", errdefs.ErrInvalidArgument, tr)
}

// sameAsStdout reports whether path names the file stdout is (as
// /dev/stdout or /dev/fd/1 do).
func sameAsStdout(path string, stdout *os.File) bool {
	a, err := os.Stat(path)
	if err != nil {
		return false
	}
	b, err := stdout.Stat()
	return err == nil && os.SameFile(a, b)
}

func isArchiveTransport(name string) bool {
	for _, t := range archiveTransports {
		if t == name {
			return true
		}
	}
	return false
}
