package dir

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/ferrytool/ferry/internal/fsutil"
	"github.com/ferrytool/ferry/manifest"
)

// pruneStaged removes the staged files the image does not use: blobs a
// copy stored that no manifest names (the extra members of a hostile
// archive, streamed in before the manifest was known). What the top
// manifest and its instances name, the version file and signatures stay.
// A manifest it cannot read stops the pruning, keeping everything: a
// wrong guess would break the image.
func pruneStaged(staging string, top []byte) (removed int) {
	keep := map[string]bool{versionFile: true, manifestFile: true}
	todo := [][]byte{top}
	for len(todo) > 0 {
		b := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		blobs, manifests, err := manifest.Children(b)
		if err != nil {
			return 0
		}
		for _, c := range blobs {
			if name, err := blobName(c.Digest); err == nil {
				keep[name] = true
			}
		}
		for _, c := range manifests {
			name, err := instanceName(c.Digest)
			if err != nil || keep[name] {
				continue
			}
			ib, err := readSmallFile(filepath.Join(staging, name))
			if err != nil {
				return 0
			}
			keep[name] = true
			todo = append(todo, ib)
		}
	}
	ents, err := os.ReadDir(staging)
	if err != nil {
		return 0
	}
	for _, e := range ents {
		name := e.Name()
		if keep[name] || strings.Contains(name, "signature-") || strings.HasPrefix(name, fsutil.TempPrefix) {
			continue
		}
		if os.Remove(filepath.Join(staging, name)) == nil {
			removed++
		}
	}
	return removed
}
