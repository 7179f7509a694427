package artifacts

import (
	"context"
	"fmt"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
)

// Listed is one artifact attached to an image, or to another artifact,
// as inspect --referrers prints it.
type Listed struct {
	// Subject is the digest of the manifest it is attached to.
	Subject digest.Digest `json:"subject"`
	// Tag is cosign's digest tag holding it ("" for an OCI referrer).
	Tag          string        `json:"tag,omitempty"`
	Digest       digest.Digest `json:"digest"`
	MediaType    string        `json:"mediaType"`
	ArtifactType string        `json:"artifactType,omitempty"`
}

// List lists what is attached to subject at ref, and to those artifacts
// in turn: cosign's tags and the referrers the tag schema's index names
// (not the index itself).
func List(ctx context.Context, ref transport.Reference, o *transport.Options, subject digest.Digest) ([]Listed, error) {
	l, ok := ref.(transport.AttachedLister)
	if !ok {
		return nil, fmt.Errorf("%w: %s keeps no attached artifacts (registries do)", errdefs.ErrNotSupported, transport.FullName(ref))
	}
	out := []Listed{}
	seen := map[digest.Digest]bool{}
	queue := []digest.Digest{subject}
	for len(queue) > 0 && len(out) <= maxArtifacts {
		s := queue[0]
		queue = queue[1:]
		if seen[s] {
			continue
		}
		seen[s] = true
		list, err := l.ListAttached(ctx, o, s)
		if err != nil {
			return nil, err
		}
		for _, a := range list {
			if isReferrersIndex(a) {
				for _, r := range a.Referrers {
					out = append(out, Listed{Subject: s, Digest: r.Digest, MediaType: r.MediaType, ArtifactType: r.ArtifactType})
					queue = append(queue, r.Digest)
				}
				continue
			}
			out = append(out, Listed{Subject: s, Tag: a.Tag, Digest: a.Descriptor.Digest, MediaType: a.Descriptor.MediaType})
			queue = append(queue, a.Descriptor.Digest)
		}
	}
	return out, nil
}

// isReferrersIndex: sha256-HEX, the tag schema's index, rather than one of
// cosign's suffixed tags.
func isReferrersIndex(a transport.Attached) bool { return !strings.Contains(a.Tag, ".") }
