package serve

import (
	"strconv"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// descOf describes blob d of unknown size.
func descOf(d digest.Digest) ocispec.Descriptor { return ocispec.Descriptor{Digest: d, Size: -1} }
