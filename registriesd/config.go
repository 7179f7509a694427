// Package registriesd reads containers-registries.d(5): the YAML files
// that say where the signatures of images kept in registries live (a
// "lookaside" storage beside the registry) and whether sigstore
// attachments are used. Its lookups follow containers/image: the most
// specific scope naming the image wins, then default-docker, then the
// built-in default lookaside.
package registriesd

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"go.yaml.in/yaml/v3"
)

// Namespace is one configuration section: for default-docker, or for a
// scope under docker.
type Namespace struct {
	// Lookaside is the base URL signatures are read from, and written to
	// when LookasideStaging is empty.
	Lookaside string `yaml:"lookaside"`
	// LookasideStaging is the base URL signatures are written to.
	LookasideStaging string `yaml:"lookaside-staging"`
	// SigStore and SigStoreStaging are the old names of Lookaside and
	// LookasideStaging, still read; the new names win.
	SigStore        string `yaml:"sigstore"`
	SigStoreStaging string `yaml:"sigstore-staging"`
	// UseSigstoreAttachments says whether sigstore signatures are read and
	// written as attachments in the registry; nil when not set here.
	UseSigstoreAttachments *bool `yaml:"use-sigstore-attachments"`
}

// file is one registries.d file, and the merge of them all. Unknown keys
// are ignored, as containers/image ignores them.
type file struct {
	DefaultDocker *Namespace           `yaml:"default-docker"`
	Docker        map[string]Namespace `yaml:"docker"`
}

// parseFile parses one file's YAML; path names it in errors.
func parseFile(path string, b []byte) (*file, error) {
	var f file
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%w: registries.d: parsing %s: %s", errdefs.ErrInvalidArgument, path, yamlError(err))
	}
	return &f, nil
}

// yamlError is a YAML error on one line: the decoder lists type errors one
// per line, and quotes a file's values (newlines included) in them.
func yamlError(err error) string {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msg = strings.Join(te.Errors, "; ")
	}
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, msg)
}

// loadDir reads and merges every *.yaml file in dir, in name order. A
// missing directory is an empty configuration; default-docker or a docker
// scope defined in two files is an error, as in containers/image.
func loadDir(dir string) (*file, error) {
	merged := &file{Docker: map[string]Namespace{}}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return merged, nil
	}
	if err != nil {
		return nil, fmt.Errorf("registries.d: %w", err)
	}
	defaultFrom, scopeFrom := "", map[string]string{}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since the listing
		}
		if err != nil {
			return nil, fmt.Errorf("registries.d: %w", err)
		}
		f, err := parseFile(path, b)
		if err != nil {
			return nil, err
		}
		if f.DefaultDocker != nil {
			if defaultFrom != "" {
				return nil, fmt.Errorf("%w: registries.d: \"default-docker\" is defined both in %s and %s", errdefs.ErrInvalidArgument, defaultFrom, path)
			}
			merged.DefaultDocker, defaultFrom = f.DefaultDocker, path
		}
		scopes := make([]string, 0, len(f.Docker))
		for s := range f.Docker {
			scopes = append(scopes, s)
		}
		slices.Sort(scopes)
		for _, s := range scopes {
			if from, ok := scopeFrom[s]; ok {
				return nil, fmt.Errorf("%w: registries.d: the \"docker\" scope %q is defined both in %s and %s", errdefs.ErrInvalidArgument, s, from, path)
			}
			merged.Docker[s], scopeFrom[s] = f.Docker[s], path
		}
	}
	return merged, nil
}
