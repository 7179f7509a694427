package dockerarchive

import (
	"context"
	"fmt"
	"io"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/archive"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
)

var _ transport.ImageNameLister = (*Reference)(nil)

// ListImageNames lists the names of every image in the archive, as skopeo
// list-tags does: each RepoTags entry as manifest.json spells it, images
// in their order, "@N" for an image without a name. Only manifest.json is
// read: a compressed archive or stdin is walked once, its layers skipped,
// and nothing is spooled to disk.
func (r *Reference) ListImageNames(ctx context.Context, o *transport.Options) ([]string, error) {
	var stdin io.Reader
	if o != nil {
		stdin = o.Stdin
	}
	in, err := archive.OpenInput(ctx, r.Path, stdin, "")
	if err != nil {
		return nil, fmt.Errorf("docker-archive:%s: %w", r.Path, err)
	}
	defer in.Close()
	mb, err := readManifestFile(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("docker-archive:%s: %w", r.Path, err)
	}
	items, err := parseManifestFile(mb)
	if err != nil {
		return nil, fmt.Errorf("docker-archive:%s: %w", r.Path, err)
	}
	names, err := imageNames(items)
	if err != nil {
		return nil, fmt.Errorf("docker-archive:%s: %w", r.Path, err)
	}
	return names, nil
}

// readManifestFile returns the archive's manifest.json: read in place from
// an indexed file, else found on one walk of the stream.
func readManifestFile(ctx context.Context, in *archive.Input) ([]byte, error) {
	if in.Indexed() {
		a, err := in.Archive(ctx)
		if err != nil {
			return nil, err
		}
		return a.ReadFile(manifestFile, archive.MaxMetadata)
	}
	rc, err := in.Stream(ctx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	w, err := archive.Walk(ctx, rc, func(_ context.Context, _ *archive.Entry, _ []byte, r io.Reader) (struct{}, error) {
		_, err := io.Copy(io.Discard, r)
		return struct{}{}, err
	})
	if err != nil {
		return nil, err
	}
	b, _, kept, err := w.File(manifestFile)
	if err != nil {
		return nil, fmt.Errorf("%w (not a docker save archive?)", err)
	}
	if !kept {
		return nil, fmt.Errorf("%w: %s is larger than the %d bytes a metadata file may have", errdefs.ErrInvalidArchive, manifestFile, archive.MaxMetadata)
	}
	return b, nil
}

// imageNames is every image's names, in skopeo's form: a name is looked
// up among all images' names (normalized, the first image holding it
// wins), and its spelling there is what is listed; an image without names
// is "@N". A name without a tag makes the archive unreadable, as it does
// for skopeo.
func imageNames(items []manifestItem) ([]string, error) {
	var out []string
	for i, it := range items {
		if len(it.RepoTags) == 0 {
			out = append(out, fmt.Sprintf("@%d", i))
			continue
		}
		for _, tag := range it.RepoTags {
			n, err := parseRepoTag(tag, i)
			if err != nil {
				return nil, err
			}
			spelled, err := firstSpelling(items, n)
			if err != nil {
				return nil, err
			}
			out = append(out, spelled)
		}
	}
	return out, nil
}

// parseRepoTag parses a RepoTags entry of image i, which must carry a tag.
func parseRepoTag(tag string, i int) (reference.Named, error) {
	n, err := reference.ParseNamed(tag, false)
	if err != nil {
		return nil, fmt.Errorf("%w: manifest.json: image @%d has an invalid name: %v", errdefs.ErrInvalidArchive, i, err)
	}
	if reference.Tag(n) == "" {
		return nil, fmt.Errorf("%w: manifest.json: image @%d: name %s has no tag", errdefs.ErrInvalidArchive, i, printable(tag))
	}
	return n, nil
}

// firstSpelling is the RepoTags entry, as written, of the first image
// holding the name n.
func firstSpelling(items []manifestItem, n reference.Named) (string, error) {
	for i, it := range items {
		for _, tag := range it.RepoTags {
			m, err := parseRepoTag(tag, i)
			if err != nil {
				return "", err
			}
			if m.String() == n.String() {
				return tag, nil
			}
		}
	}
	return n.String(), nil // unreachable: n came from items
}
