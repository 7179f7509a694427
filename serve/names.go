package serve

import (
	"regexp"
	"strings"
	"sync"

	"github.com/ferrytool/ferry/internal/ocilayout"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// repoName is the repository name grammar of the distribution spec
// ("Pulling manifests", <name>): lowercase components separated by "/".
// It admits no "..", no empty component and no absolute path, so a name
// can never climb out of anything it is joined to.
var repoName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$`)
})

// tagName is the tag grammar of the distribution spec.
var tagName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`) })

// maxNameLength bounds a repository name, as distribution does.
const maxNameLength = 255

func validRepo(name string) bool { return len(name) <= maxNameLength && repoName().MatchString(name) }

func validTag(tag string) bool { return tagName().MatchString(tag) }

// entryName splits an index.json entry's ref name into the repository
// and tag it stands for: "REPO:TAG" is (REPO, TAG); a bare "TAG" is
// ("", TAG), a tag of every repository; no name is ("", ""). ok is false
// for a name that is neither (it is not served).
func entryName(e ocispec.Descriptor) (repo, tag string, ok bool) {
	ref := ocilayout.RefName(e)
	if ref == "" {
		return "", "", true
	}
	slash := strings.LastIndex(ref, "/")
	colon := strings.LastIndex(ref, ":")
	if colon > slash {
		repo, tag = ref[:colon], ref[colon+1:]
		return repo, tag, validRepo(repo) && validTag(tag)
	}
	return "", ref, validTag(ref)
}

// belongs reports whether the entry e is one of repository repo's.
func belongs(e ocispec.Descriptor, repo string) bool {
	r, _, ok := entryName(e)
	return ok && (r == "" || r == repo)
}

// refName is the index.json name a pushed tag gets.
func refName(repo, tag string) string { return repo + ":" + tag }

// parseDigest reads a reference that is a digest; isDigest is false when
// s is not shaped like one (a tag), err set when it is but does not
// validate.
func parseDigest(s string) (d digest.Digest, isDigest bool, err error) {
	if !strings.Contains(s, ":") {
		return "", false, nil
	}
	d = digest.Digest(s)
	return d, true, d.Validate()
}
