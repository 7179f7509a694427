package sif

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ferrytool/ferry/errdefs"
)

// extractScript extracts the squashfs at offset $2 of the SIF $3 into the
// directory $1 and packs that tree into the tar $4, as containers/image
// does (unsquashfs, then GNU tar with ACLs and extended attributes). The
// squashfs is read in place (unsquashfs -o, squashfs-tools 4.4 and later)
// rather than copied out of the SIF first, one copy fewer on disk. Unlike
// skopeo's, the tar is the same on every run: members sorted by name, no
// access or change times in the pax headers; so the same SIF always gives
// the same layer and image digests.
const extractScript = `unsquashfs -no-progress -d "$1" -f -o "$2" "$3" >/dev/null && ` +
	`tar --acls --xattrs --sort=name --pax-option=delete=atime,delete=ctime -C "$1" -cpf "$4" ./`

// buildLayer writes the layer tar of the root file system at fs in the SIF
// at path to tarPath, with script (if any) added at runscriptPath. root is
// a directory that does not exist yet, for the extracted tree; it is
// removed before buildLayer returns, so the disk holds the tree and the
// tar together only while tar runs. Without root privileges the commands
// run under fakeroot, so that the files keep the owners the squashfs
// gives them, as skopeo runs them.
//
// The injected script and its directory are dated mtime (the SIF's
// modification time), so that they too are the same on every run.
func buildLayer(ctx context.Context, path string, fs object, script []byte, mtime time.Time, root, tarPath string) error {
	defer os.RemoveAll(root)
	for _, tool := range []string{"unsquashfs", "tar"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%w: reading a SIF needs %s on PATH (Debian: apt install squashfs-tools tar)", errdefs.ErrNotSupported, tool)
		}
	}
	if script != nil {
		p := filepath.Join(root, runscriptPath)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, script, 0o755); err != nil {
			return err
		}
		for _, q := range []string{p, filepath.Dir(p)} {
			if err := os.Chtimes(q, mtime, mtime); err != nil {
				return err
			}
		}
	}
	args := []string{"sh", "-c", extractScript, "sh", root, strconv.FormatInt(fs.offset, 10), path, tarPath}
	if os.Geteuid() != 0 {
		fr, err := exec.LookPath("fakeroot")
		if err != nil {
			return fmt.Errorf("%w: reading a SIF as a user other than root needs fakeroot on PATH (Debian: apt install fakeroot), so the layer keeps the owners of its files", errdefs.ErrNotSupported)
		}
		args = append([]string{fr, "--"}, args...)
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return fmt.Errorf("%w: extracting the SIF's squashfs root file system failed: %s", errdefs.ErrInvalidArchive, lastLine(out.String()))
		}
		return err
	}
	return nil
}

// lastLine is the last non-empty line of a tool's output: the reason it
// gives for failing.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
