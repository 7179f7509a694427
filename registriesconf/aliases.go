package registriesconf

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ferrytool/ferry/reference"
)

// alias is one [aliases] entry: the fully qualified repository a short
// name stands for (nil: erased by a later file, with ""), and the file
// that said so.
type alias struct {
	value  reference.Named
	origin string
}

// parseAliases checks the [aliases] table of one file: names are short
// names, values fully qualified repositories, neither with a tag or
// digest; "" erases the alias an earlier file gave.
func parseAliases(path string, ls *lines, in map[string]string) (map[string]alias, error) {
	out := map[string]alias{}
	for _, name := range slices.Sorted(maps.Keys(in)) {
		value := in[name]
		line := ls.line(join("aliases", name))
		if err := checkShortName(name); err != nil {
			return nil, fileError(path, line, "alias %q: %v", name, err)
		}
		if value == "" {
			out[name] = alias{origin: path}
			continue
		}
		v, err := aliasValue(value)
		if err != nil {
			return nil, fileError(path, line, "alias %q = %q: %v", name, value, err)
		}
		out[name] = alias{value: v, origin: path}
	}
	return out, nil
}

// isShort reports whether the name's first component is not a registry: it
// has no "." or ":" and is not localhost.
func isShort(n reference.Named) bool {
	d := reference.Domain(n)
	return !strings.ContainsAny(d, ".:") && d != "localhost"
}

// checkShortName: a short name, without tag or digest.
func checkShortName(s string) error {
	n, err := reference.Parse(s)
	if err != nil {
		return fmt.Errorf("not an image name: %v", err)
	}
	switch {
	case !reference.IsNameOnly(n):
		return fmt.Errorf("a short name has no tag or digest")
	case !isShort(n):
		return fmt.Errorf("a short name has no registry")
	}
	return nil
}

// aliasValue parses an alias's value: a repository with a registry,
// without tag or digest, normalised (docker.io/alpine is
// docker.io/library/alpine).
func aliasValue(s string) (reference.Named, error) {
	n, err := reference.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("not an image name: %v", err)
	}
	switch {
	case !reference.IsNameOnly(n):
		return nil, fmt.Errorf("an alias names a repository, without tag or digest")
	case isShort(n):
		return nil, fmt.Errorf("an alias names a registry and a repository")
	}
	return reference.ParseNormalizedNamed(s)
}
