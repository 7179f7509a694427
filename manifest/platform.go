package manifest

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"unicode"

	"github.com/ferrytool/ferry/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Platform names an OS, architecture and optional variant.
type Platform struct {
	OS           string
	Architecture string
	Variant      string
}

// String renders the platform as os/arch[/variant].
func (p Platform) String() string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// ParsePlatform reads "os/arch[/variant]".
func ParsePlatform(s string) (Platform, error) {
	parts := strings.Split(strings.TrimSpace(s), "/")
	if len(parts) < 2 || len(parts) > 3 || slices.ContainsFunc(parts, func(p string) bool {
		return p == "" || strings.ContainsFunc(p, unicode.IsSpace)
	}) {
		return Platform{}, fmt.Errorf("%w: platform %q, want os/arch[/variant]", errdefs.ErrInvalidArgument, s)
	}
	p := Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// HostPlatform is the platform ferry runs on, with overrides applied where
// they are non-empty (skopeo's --override-os/--override-arch/--override-variant).
func HostPlatform(override Platform) Platform {
	p := Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}
	if p.OS != "windows" {
		p.OS = "linux" // images for darwin and the BSDs are linux images run in a VM
	}
	if override.OS != "" {
		p.OS = override.OS
	}
	if override.Architecture != "" {
		p.Architecture = override.Architecture
		p.Variant = ""
	}
	if override.Variant != "" {
		p.Variant = override.Variant
	}
	return p
}

// normalizeVariant gives the default variant of an architecture, so that
// "arm64" and "arm64/v8" compare equal, as the OCI image index spec suggests.
func normalizeVariant(arch, variant string) string {
	switch {
	case arch == "arm64" && variant == "":
		return "v8"
	case arch == "arm" && variant == "":
		return "v7"
	case arch == "amd64" && variant == "":
		return "v1"
	}
	return variant
}

func normalizeArch(arch string) string {
	switch arch {
	case "x86_64", "x86-64":
		return "amd64"
	case "aarch64":
		return "arm64"
	}
	return arch
}

// Matches reports whether an index entry's platform serves p. A wanted
// variant must match (defaults applied); an unset wanted variant takes any.
func (p Platform) Matches(q *ocispec.Platform) bool {
	if q == nil {
		return false
	}
	if q.OS != p.OS || normalizeArch(q.Architecture) != normalizeArch(p.Architecture) {
		return false
	}
	if p.Variant == "" {
		return true
	}
	return normalizeVariant(p.Architecture, p.Variant) == normalizeVariant(q.Architecture, q.Variant)
}

// ChooseInstance picks the entry of an index that serves platform p. Among
// several matches it prefers the one whose variant is exactly the wanted one
// (or the architecture's default variant when none is wanted), then the first
// listed, as Docker and skopeo do.
func ChooseInstance(ix *Index, p Platform) (ocispec.Descriptor, error) {
	want := normalizeVariant(p.Architecture, p.Variant)
	best, bestScore := -1, 0
	for i, d := range ix.Manifests {
		if !p.Matches(d.Platform) {
			continue
		}
		score := 1
		if normalizeVariant(d.Platform.Architecture, d.Platform.Variant) == want {
			score = 2
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	if best < 0 {
		e := &NoInstanceError{Platform: p, List: ix.MediaType == MediaTypeDockerList}
		for _, d := range ix.Manifests {
			if d.Platform != nil {
				e.Have = append(e.Have, Platform{d.Platform.OS, d.Platform.Architecture, d.Platform.Variant})
			}
		}
		return ocispec.Descriptor{}, e
	}
	return ix.Manifests[best], nil
}

// NoInstanceError says that an index has no image for the wanted platform.
// It is an errdefs.ErrNotFound to the library's callers, but a type of its
// own so the command line can tell it from a missing image: skopeo exits 1
// for it and keeps 2 for an image that does not exist.
type NoInstanceError struct {
	Platform Platform   // what was wanted
	List     bool       // a Docker manifest list rather than an OCI index
	Have     []Platform // the platforms the index offers
}

// Error reads as skopeo's message, which scripts match, followed by the
// platforms there are.
func (e *NoInstanceError) Error() string {
	kind := "image index"
	if e.List {
		kind = "manifest list"
	}
	have := make([]string, len(e.Have))
	for i, p := range e.Have {
		have[i] = p.String()
	}
	return fmt.Sprintf("choosing image instance: no image found in %s for architecture %s, variant %q, OS %s (it has %s)",
		kind, e.Platform.Architecture, e.Platform.Variant, e.Platform.OS, strings.Join(have, ", "))
}

// Is makes the error an errdefs.ErrNotFound.
func (e *NoInstanceError) Is(target error) bool { return target == errdefs.ErrNotFound }
