package policy

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
)

// scopes lists the policy scopes that can name ref, most specific first,
// as containers/image looks them up: for docker, the full name with tag
// or digest, the repository, each parent namespace, the host[:port], then
// *.domain wildcards; for dir:, oci:, oci-archive: and docker-archive:,
// the absolute path (symlinks resolved) and each parent directory but
// "/". Other transports have no scopes but "".
func scopes(ref transport.Reference) []string {
	switch name := ref.Transport().Name(); {
	case name == "docker" || name == "docker-daemon":
		if n := ref.DockerReference(); n != nil {
			return dockerScopes(n)
		}
	case pathTransports[name]:
		p := ref.String()
		if name != "dir" {
			p, _ = transport.SplitPathAndRef(p)
		}
		return pathScopes(resolvePath(p))
	}
	return nil
}

func dockerScopes(n reference.Named) []string {
	out := []string{n.String()}
	name := n.Name()
	for {
		if out[len(out)-1] != name {
			out = append(out, name)
		}
		i := strings.LastIndex(name, "/")
		if i < 0 {
			break
		}
		name = name[:i]
	}
	host, _, _ := strings.Cut(name, ":") // wildcards do not carry ports
	for {
		i := strings.Index(host, ".")
		if i < 0 {
			break
		}
		host = host[i+1:]
		out = append(out, "*."+host)
	}
	return out
}

func pathScopes(p string) []string {
	var out []string
	for p != "/" && p != "." && p != "" {
		out = append(out, p)
		p = filepath.Dir(p)
	}
	return out
}

// resolvePath makes p absolute and resolves symlinks in its longest
// existing prefix, so a scope names the place and not the spelling.
func resolvePath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	rest := ""
	for cur := abs; ; cur = filepath.Dir(cur) {
		if _, err := os.Lstat(cur); err == nil {
			if r, err := filepath.EvalSymlinks(cur); err == nil {
				return filepath.Join(r, rest)
			}
			return abs
		}
		if cur == filepath.Dir(cur) {
			return abs
		}
		rest = filepath.Join(filepath.Base(cur), rest)
	}
}

// describe renders ref for messages as containers/image does:
// transport:name, with paths made absolute.
func describe(ref transport.Reference) string {
	name := ref.Transport().Name()
	if pathTransports[name] {
		p, tail := ref.String(), ""
		if name != "dir" {
			var r string
			p, r = transport.SplitPathAndRef(p)
			if r != "" {
				tail = ":" + r
			}
		}
		return name + ":" + resolvePath(p) + tail
	}
	return transport.FullName(ref)
}

// Requirements returns the requirements that apply to ref: the most
// specific scope of its transport, else the transport's "", else the
// default.
func (p *Policy) Requirements(ref transport.Reference) []Requirement {
	if ts, ok := p.Transports[ref.Transport().Name()]; ok {
		for _, s := range scopes(ref) {
			if r, ok := ts[s]; ok {
				return r
			}
		}
		if r, ok := ts[""]; ok {
			return r
		}
	}
	return p.Default
}
