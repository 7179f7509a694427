package registriesconf

import (
	"maps"
	"slices"
)

// mergeFiles reads the files in order and merges them as containers/image
// does: a [[registry]] table replaces an earlier one with the same prefix
// (whole, mirrors included); unqualified-search-registries,
// credential-helpers and short-name-mode replace earlier values when set
// (an empty list is set); aliases replace earlier aliases one by one.
func mergeFiles(files []file) (*merged, error) {
	m := &merged{aliases: map[string]alias{}}
	byPrefix := map[string]Registry{}
	for _, f := range files {
		p, err := readFile(f)
		if err != nil {
			return nil, err
		}
		m.files = append(m.files, f.path)
		for _, r := range p.registries {
			byPrefix[r.Prefix] = r
		}
		if p.search != nil {
			m.search, m.searchOrigin = *p.search, p.path
		}
		if p.helpers != nil {
			m.helpers = *p.helpers
		}
		if p.mode != "" {
			m.mode, m.modeOrigin = p.mode, p.path
		}
		maps.Copy(m.aliases, p.aliases)
	}
	for _, prefix := range slices.Sorted(maps.Keys(byPrefix)) {
		m.registries = append(m.registries, byPrefix[prefix])
	}
	return m, nil
}
