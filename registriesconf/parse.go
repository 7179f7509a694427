package registriesconf

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/ferrytool/ferry/errdefs"
)

// tomlFile is one file as written: the v2 keys and the v1 [registries]
// table side by side (a file may use one or the other). Pointers tell a
// key left out from one set to nothing, as later files only replace what
// they set.
type tomlFile struct {
	Registries        []tomlRegistry    `toml:"registry"`
	Search            *[]string         `toml:"unqualified-search-registries"`
	CredentialHelpers *[]string         `toml:"credential-helpers"`
	ShortNameMode     string            `toml:"short-name-mode"`
	Aliases           map[string]string `toml:"aliases"`
	// AdditionalLayerStoreAuthHelper is accepted and ignored: ferry has
	// no additional layer store to pass credentials to.
	AdditionalLayerStoreAuthHelper string `toml:"additional-layer-store-auth-helper"`

	V1 *struct {
		Search   *v1List `toml:"search"`
		Insecure *v1List `toml:"insecure"`
		Block    *v1List `toml:"block"`
	} `toml:"registries"`
}

type v1List struct {
	Registries []string `toml:"registries"`
}

type tomlRegistry struct {
	Prefix             string       `toml:"prefix"`
	Location           string       `toml:"location"`
	Insecure           bool         `toml:"insecure"`
	Blocked            bool         `toml:"blocked"`
	MirrorByDigestOnly bool         `toml:"mirror-by-digest-only"`
	PullFromMirror     string       `toml:"pull-from-mirror"` // only valid on a mirror: refused here
	Mirrors            []tomlMirror `toml:"mirror"`
}

type tomlMirror struct {
	Location       string `toml:"location"`
	Insecure       bool   `toml:"insecure"`
	PullFromMirror string `toml:"pull-from-mirror"`
}

// parsed is one file read and checked.
type parsed struct {
	path       string
	registries []Registry
	search     *[]string
	helpers    *[]string
	mode       ShortNameMode // "" when not set
	aliases    map[string]alias
}

// fileError is an error in a file: one sentence naming the file, and the
// line when known.
func fileError(path string, line int, format string, args ...any) error {
	where := path
	if line > 0 {
		where = fmt.Sprintf("%s, line %d", path, line)
	}
	msg := oneLine.Replace(fmt.Sprintf(format, args...))
	return fmt.Errorf("%w: registries.conf %s: %s", errdefs.ErrInvalidArgument, where, msg)
}

// oneLine writes line breaks a message quotes from the file (the TOML
// parser's "invalid escape in string '\\\n'") as escapes, so the error
// stays one line.
var oneLine = strings.NewReplacer("\r", `\r`, "\n", `\n`)

// readFile reads and checks one file.
func readFile(f file) (*parsed, error) {
	data, err := os.ReadFile(f.path)
	if err != nil {
		return nil, fmt.Errorf("%w: registries.conf: %v", errdefs.ErrInvalidArgument, err)
	}
	return parse(f.path, data, f.dropIn)
}

// parse decodes data, read from path, strictly: a syntax error, a value of
// the wrong type, an unknown key or an inconsistent setting is an error
// naming the line.
func parse(path string, data []byte, dropIn bool) (*parsed, error) {
	var t tomlFile
	md, err := toml.Decode(string(data), &t)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fileError(path, pe.Position.Line, "%s", pe.Message)
		}
		// A type mismatch: "toml: line N (last key ...): incompatible types...".
		return nil, fileError(path, 0, "%s", strings.TrimPrefix(err.Error(), "toml: "))
	}
	ls := scanLines(data)
	if und := md.Undecoded(); len(und) > 0 {
		k := strings.Join(und[0], ".")
		return nil, fileError(path, ls.keyLine(k), "unknown key %q", k)
	}
	p := &parsed{path: path, search: t.Search, helpers: t.CredentialHelpers}
	regs := t.Registries
	if v1 := t.V1; v1 != nil && (v1.Search != nil || v1.Insecure != nil || v1.Block != nil) {
		v1Line := ls.first("registries", "registries.search", "registries.insecure", "registries.block")
		if dropIn {
			return nil, fileError(path, v1Line, "a drop-in file must use the v2 format ([[registry]] tables), not [registries.*]")
		}
		if t.Registries != nil || t.Search != nil || t.CredentialHelpers != nil || t.ShortNameMode != "" || t.Aliases != nil {
			return nil, fileError(path, v1Line, "the v1 tables [registries.*] cannot be mixed with v2 settings in one file")
		}
		regs, p.search = fromV1(v1.Search, v1.Insecure, v1.Block)
	}
	if p.registries, err = checkRegistries(path, ls, regs); err != nil {
		return nil, err
	}
	if err := checkSearch(path, ls, p.search); err != nil {
		return nil, err
	}
	if t.ShortNameMode != "" {
		switch m := ShortNameMode(t.ShortNameMode); m {
		case Enforcing, Permissive, Disabled:
			p.mode = m
		default:
			return nil, fileError(path, ls.line("short-name-mode"), "short-name-mode %q is none of enforcing, permissive, disabled", t.ShortNameMode)
		}
	}
	if p.aliases, err = parseAliases(path, ls, t.Aliases); err != nil {
		return nil, err
	}
	return p, nil
}

// fromV1 turns the v1 lists into v2 registries, as containers/image does:
// one registry per location named, blocked and insecure as listed.
func fromV1(search, insecure, block *v1List) ([]tomlRegistry, *[]string) {
	var order []string
	byLoc := map[string]*tomlRegistry{}
	get := func(loc string) *tomlRegistry {
		loc = strings.TrimRight(loc, "/")
		if r := byLoc[loc]; r != nil {
			return r
		}
		byLoc[loc] = &tomlRegistry{Prefix: loc, Location: loc}
		order = append(order, loc)
		return byLoc[loc]
	}
	if block != nil {
		for _, l := range block.Registries {
			get(l).Blocked = true
		}
	}
	if insecure != nil {
		for _, l := range insecure.Registries {
			get(l).Insecure = true
		}
	}
	var regs []tomlRegistry
	for _, l := range order {
		regs = append(regs, *byLoc[l])
	}
	var s *[]string
	if search != nil {
		s = &search.Registries
	}
	return regs, s
}
