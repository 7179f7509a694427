package dir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/blobstore"
	"github.com/opencontainers/go-digest"
)

// The files of a dir: image, as skopeo (containers/image's directory
// transport) writes them:
//
//	version               "Directory Transport Version: 1.1\n"
//	manifest.json         the top manifest, byte for byte
//	HEX                   each blob, named by the hex part of its digest
//	HEX.manifest.json     each instance of an index (copy --all)
//	signature-N           simple-signing signatures of the top manifest
//	HEX.signature-N       signatures of an instance
//
// skopeo names every blob by the hex alone, whatever the algorithm
// (sha512 hex is twice as long, so names cannot collide), and ferry does
// the same.
const (
	versionFile    = "version"
	versionContent = "Directory Transport Version: 1.1\n"
	manifestFile   = "manifest.json"
	// lockFile serializes the commits of concurrent writers.
	lockFile = "manifest.json.lock"
)

// validate checks a digest before it becomes part of a file name, so a
// crafted one cannot name a path outside the directory.
func validate(d digest.Digest) error {
	if err := d.Validate(); err != nil {
		return fmt.Errorf("%w: digest %q: %v", errdefs.ErrInvalidArgument, d, err)
	}
	return nil
}

// digestStem is how a file name spells a digest, as containers/image
// spells it: the hex alone for sha256, ALGO-HEX for any other algorithm.
func digestStem(d digest.Digest) (string, error) {
	if err := validate(d); err != nil {
		return "", err
	}
	if d.Algorithm() == digest.Canonical {
		return d.Encoded(), nil
	}
	return d.Algorithm().String() + "-" + d.Encoded(), nil
}

// blobName is the file name of a blob.
func blobName(d digest.Digest) (string, error) { return digestStem(d) }

// instanceName is the file name of an instance manifest.
func instanceName(d digest.Digest) (string, error) {
	stem, err := digestStem(d)
	if err != nil {
		return "", err
	}
	return stem + ".manifest.json", nil
}

// signatureName is the file name of the i-th (0-based) signature of the
// top manifest (instance nil) or of an instance: signature-N, or
// STEM.signature-N (STEM as digestStem spells the instance's digest).
func signatureName(i int, instance *digest.Digest) (string, error) {
	if instance == nil {
		return fmt.Sprintf("signature-%d", i+1), nil
	}
	stem, err := digestStem(*instance)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s.signature-%d", stem, i+1), nil
}

// readSmallFile reads a file that must be small (a manifest, a
// signature; see blobstore.MaxSmallFile).
func readSmallFile(path string) ([]byte, error) { return blobstore.ReadSmallFile(path) }

// exists reports whether root/name exists.
func exists(root, name string) (bool, error) {
	_, err := os.Lstat(filepath.Join(root, name))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}
