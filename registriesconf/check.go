package registriesconf

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/ferrytool/ferry/reference"
)

// checkRegistries checks the [[registry]] tables of one file as
// containers/image does, and returns them in its form: prefix defaulted to
// location, trailing slashes dropped, the first of two tables with one
// prefix kept, sorted by prefix.
func checkRegistries(path string, ls *lines, in []tomlRegistry) ([]Registry, error) {
	type seen struct {
		insecure, blocked bool
		line              int
	}
	byLoc := map[string]seen{}
	byPrefix := map[string]bool{}
	var out []Registry
	for i, t := range in {
		at := "registry[" + strconv.Itoa(i) + "]"
		line := func(key string) int { return ls.line(join(at, key)) }
		loc, err := location(t.Location)
		if err != nil {
			return nil, fileError(path, line("location"), "%v", err)
		}
		prefix := loc
		if t.Prefix != "" {
			if prefix, err = location(t.Prefix); err != nil {
				return nil, fileError(path, line("prefix"), "%v", err)
			}
		}
		switch {
		case prefix == "":
			return nil, fileError(path, line(""), "a [[registry]] table needs a location or a prefix")
		case strings.HasPrefix(prefix, "*.") && strings.ContainsAny(prefix, "/@:"):
			return nil, fileError(path, line("prefix"), "wildcard prefix %q must be of the form *.example.com (no port, path, tag or digest)", prefix)
		case !strings.HasPrefix(prefix, "*.") && loc == "":
			return nil, fileError(path, line("prefix"), "prefix %q needs a location (only a *.domain prefix may go without one)", prefix)
		case t.PullFromMirror != "":
			return nil, fileError(path, line("pull-from-mirror"), "pull-from-mirror belongs in a [[registry.mirror]] table, not in the registry %q itself", prefix)
		}
		r := Registry{
			Prefix: prefix, Location: loc,
			Insecure: t.Insecure, Blocked: t.Blocked, MirrorByDigestOnly: t.MirrorByDigestOnly,
			Origin: origin(path, line("")),
		}
		for j, m := range t.Mirrors {
			mat := at + ".mirror[" + strconv.Itoa(j) + "]"
			mline := func(key string) int { return ls.line(join(mat, key)) }
			ml, err := location(m.Location)
			if err != nil {
				return nil, fileError(path, mline("location"), "%v", err)
			}
			switch {
			case ml == "":
				return nil, fileError(path, mline(""), "a mirror of %q has no location", prefix)
			case m.PullFromMirror != "" && t.MirrorByDigestOnly:
				return nil, fileError(path, mline("pull-from-mirror"), "pull-from-mirror cannot be set on a mirror of %q, which sets mirror-by-digest-only", prefix)
			}
			switch m.PullFromMirror {
			case "", MirrorAll, MirrorDigestOnly, MirrorTagOnly:
			default:
				return nil, fileError(path, mline("pull-from-mirror"), "pull-from-mirror %q is none of all, digest-only, tag-only", m.PullFromMirror)
			}
			r.Mirrors = append(r.Mirrors, Mirror{Location: ml, Insecure: m.Insecure, PullFromMirror: m.PullFromMirror})
		}
		// One registry listed under several prefixes must agree on
		// whether it is insecure or blocked.
		key := loc
		if key == "" {
			key = prefix
		}
		if s, ok := byLoc[key]; ok && (s.insecure != r.Insecure || s.blocked != r.Blocked) {
			return nil, fileError(path, line(""), "registry %q is defined again with other insecure or blocked settings than on line %d", key, s.line)
		}
		byLoc[key] = seen{insecure: r.Insecure, blocked: r.Blocked, line: line("")}
		if !byPrefix[prefix] {
			byPrefix[prefix] = true
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Prefix < out[j].Prefix })
	return out, nil
}

// location checks a prefix or location: no URL scheme; a trailing slash
// is dropped.
func location(s string) (string, error) {
	t := strings.TrimRight(s, "/")
	if strings.HasPrefix(t, "http://") || strings.HasPrefix(t, "https://") {
		return "", fmt.Errorf("%q: a location is host[:port][/path], without a URL scheme", s)
	}
	return t, nil
}

// checkSearch checks unqualified-search-registries: host[:port] entries.
func checkSearch(path string, ls *lines, search *[]string) error {
	if search == nil {
		return nil
	}
	for i, s := range *search {
		l, err := location(s)
		if err == nil && !reference.ValidDomain(l) {
			err = fmt.Errorf("unqualified-search-registries entry %q is not a host[:port]", s)
		}
		if err != nil {
			return fileError(path, ls.line("unqualified-search-registries"), "%v", err)
		}
		(*search)[i] = l
	}
	return nil
}

func origin(path string, line int) string {
	if line > 0 {
		return fmt.Sprintf("%s, line %d", path, line)
	}
	return path
}
