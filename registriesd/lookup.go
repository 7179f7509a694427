package registriesd

import (
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
)

// Lookaside returns the base URL of the lookaside storage for name's
// repository: the URL configured for the most specific scope naming it
// (for writing, lookaside-staging before lookaside), or the default, with
// the repository path (without host, tag or digest) appended. Signature N
// of a manifest is then BASE@ALGO=HEX/signature-N (see package lookaside).
func (c *Config) Lookaside(name reference.Named, write bool) (*url.URL, error) {
	f, err := c.get()
	if err != nil {
		return nil, err
	}
	top := f.lookaside(name, write)
	if top == "" {
		top = Default()
		if c != nil {
			top = c.def
		}
	}
	u, err := url.Parse(top)
	if err != nil {
		return nil, fmt.Errorf("%w: registries.d: invalid lookaside URL %q: %v", errdefs.ErrInvalidArgument, top, err)
	}
	repo := reference.Path(name)
	if path.Clean(repo) != repo {
		return nil, fmt.Errorf("%w: unexpected path elements in %s", errdefs.ErrInvalidReference, name)
	}
	u.Path += "/" + repo
	u.RawPath = ""
	return u, nil
}

// UseSigstoreAttachments reports whether sigstore signatures of name are
// read from and written to the registry as attachments: the setting of the
// most specific scope that sets it, false when none does.
func (c *Config) UseSigstoreAttachments(name reference.Named) (bool, error) {
	f, err := c.get()
	if err != nil {
		return false, err
	}
	for _, ns := range f.candidates(name) {
		if ns.UseSigstoreAttachments != nil {
			return *ns.UseSigstoreAttachments, nil
		}
	}
	return false, nil
}

// lookaside is the URL the configuration gives name, "" for none. As in
// containers/image, a matching section without a URL for the purpose lets
// the search go on to wider scopes.
func (f *file) lookaside(name reference.Named, write bool) string {
	for _, ns := range f.candidates(name) {
		if u := ns.url(write); u != "" {
			return u
		}
	}
	return ""
}

// candidates are the sections that apply to name, most specific first:
// its scopes under docker (see Scopes), then default-docker.
func (f *file) candidates(name reference.Named) []Namespace {
	var out []Namespace
	for _, s := range Scopes(name) {
		if ns, ok := f.Docker[s]; ok {
			out = append(out, ns)
		}
	}
	if f.DefaultDocker != nil {
		out = append(out, *f.DefaultDocker)
	}
	return out
}

// url is the section's URL for reading or writing, "" if it has none.
func (ns Namespace) url(write bool) string {
	if write {
		if ns.LookasideStaging != "" {
			return ns.LookasideStaging
		}
		if ns.SigStoreStaging != "" {
			return ns.SigStoreStaging
		}
	}
	if ns.Lookaside != "" {
		return ns.Lookaside
	}
	return ns.SigStore
}

// Scopes lists the docker scopes that name matches, most specific first,
// as containers/image searches them: the full name with its tag or digest
// (docker.io/library/busybox:latest), the repository, each parent
// namespace, the host[:port], then *.DOMAIN wildcards of the host without
// its port (*.example.com, *.com).
func Scopes(name reference.Named) []string {
	var out []string
	full := name.Name()
	if d := reference.Digest(name); d != "" {
		out = append(out, full+"@"+d.String())
	} else if t := reference.Tag(name); t != "" {
		out = append(out, full+":"+t)
	}
	n := full
	for {
		out = append(out, n)
		i := strings.LastIndex(n, "/")
		if i < 0 {
			break
		}
		n = n[:i]
	}
	if i := strings.Index(n, ":"); i >= 0 {
		n = n[:i]
	}
	for {
		i := strings.Index(n, ".")
		if i < 0 {
			break
		}
		n = n[i+1:]
		out = append(out, "*."+n)
	}
	return out
}
