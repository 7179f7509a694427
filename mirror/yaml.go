package mirror

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
	"github.com/opencontainers/go-digest"
	"go.yaml.in/yaml/v3"
)

// File is skopeo sync's YAML source file: registries by name, each with
// the repositories to mirror and how to reach it.
//
//	registry.example.com:
//	  images:                  # tags or digests; an empty list means all tags
//	    busybox: []
//	    redis: ["1.0", "2.0", "sha256:0000..."]
//	  images-by-tag-regex:     # RE2, unanchored
//	    nginx: ^1\.13\.[12]-alpine-perl$
//	  images-by-semver:        # version constraints, as skopeo reads them (internal/semver)
//	    alpine: ">= 3.12.0"
//	  credentials: {username: john, password: "this is a secret"}
//	  tls-verify: true         # default: --src-tls-verify
//	  cert-dir: /home/john/certs
type File map[string]*Registry

// Registry is one registry's entry in a File.
type Registry struct {
	Images           map[string][]string `yaml:"images"`
	ImagesByTagRegex map[string]string   `yaml:"images-by-tag-regex"`
	ImagesBySemver   map[string]string   `yaml:"images-by-semver"`
	Credentials      Credentials         `yaml:"credentials"`
	// TLSVerify, when set, overrides --src-tls-verify for this registry.
	TLSVerify *bool  `yaml:"tls-verify"`
	CertDir   string `yaml:"cert-dir"`
}

// Credentials are a registry's user name and password.
type Credentials struct {
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// ReadFile reads and parses a YAML source file.
func ReadFile(path string) (File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: reading the YAML source: %w", errdefs.ErrInvalidArgument, err)
	}
	f, err := ParseFile(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// ParseFile parses a YAML source file. Unlike skopeo, which ignores them,
// it refuses keys it does not know (a misspelt "image:" would otherwise
// mirror nothing, silently).
func ParseFile(b []byte) (File, error) {
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: not a valid sync YAML file: %v", errdefs.ErrInvalidArgument, err)
	}
	return f, nil
}

// selector is one repository of a YAML file and how its images are
// chosen: refs named in the file, or the tags match accepts (all when
// match is nil) among those the registry lists.
type selector struct {
	registry string
	cfg      *Registry
	repo     reference.Named
	refs     []reference.Named // images: with a list
	list     bool              // list the repository's tags
	match    func(tag string) bool
}

// selectors checks the whole file (names, patterns, constraints) and
// returns its repositories in a fixed order: registries by name, then
// images, images-by-tag-regex and images-by-semver, each by repository.
func (f File) selectors() ([]selector, error) {
	var out []selector
	for _, regName := range sortedKeys(f) {
		cfg := f[regName]
		if cfg == nil {
			cfg = &Registry{}
		}
		for _, repo := range sortedKeys(cfg.Images) {
			s, err := newSelector(regName, cfg, repo)
			if err != nil {
				return nil, err
			}
			refs := cfg.Images[repo]
			s.list = len(refs) == 0
			for _, ref := range refs {
				n, err := imageRef(s.repo, ref)
				if err != nil {
					return nil, fmt.Errorf("%w: registry %q, image %q: %q is neither a tag nor a digest", errdefs.ErrInvalidArgument, regName, repo, ref)
				}
				s.refs = append(s.refs, n)
			}
			out = append(out, s)
		}
		for _, repo := range sortedKeys(cfg.ImagesByTagRegex) {
			s, err := newSelector(regName, cfg, repo)
			if err != nil {
				return nil, err
			}
			re, err := regexp.Compile(cfg.ImagesByTagRegex[repo])
			if err != nil {
				return nil, fmt.Errorf("%w: registry %q, images-by-tag-regex %q: %q is not a valid regular expression: %v", errdefs.ErrInvalidArgument, regName, repo, cfg.ImagesByTagRegex[repo], unwrapRegexp(err))
			}
			s.list, s.match = true, re.MatchString
			out = append(out, s)
		}
		for _, repo := range sortedKeys(cfg.ImagesBySemver) {
			s, err := newSelector(regName, cfg, repo)
			if err != nil {
				return nil, err
			}
			m, err := semverMatcher(cfg.ImagesBySemver[repo])
			if err != nil {
				return nil, fmt.Errorf("%w: registry %q, images-by-semver %q: %q is not a valid version constraint: %v", errdefs.ErrInvalidArgument, regName, repo, cfg.ImagesBySemver[repo], err)
			}
			s.list, s.match = true, m
			out = append(out, s)
		}
	}
	return out, nil
}

func newSelector(regName string, cfg *Registry, repo string) (selector, error) {
	n, err := reference.ParseRepository(regName + "/" + repo)
	if err != nil {
		return selector{}, fmt.Errorf("%w: registry %q, image %q: not a repository name", errdefs.ErrInvalidArgument, regName, repo)
	}
	return selector{registry: regName, cfg: cfg, repo: n}, nil
}

// imageRef is repo with ref, read first as a digest, then as a tag, as
// skopeo reads them.
func imageRef(repo reference.Named, ref string) (reference.Named, error) {
	if d, err := digest.Parse(ref); err == nil {
		return reference.WithDigest(repo, d)
	}
	return reference.WithTag(repo, ref)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
