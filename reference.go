package ferry

import (
	"strings"

	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/daemon"
	"github.com/ferrytool/ferry/transport/docker"
	"github.com/ferrytool/ferry/transport/dockerarchive"
	"github.com/ferrytool/ferry/transport/layout"
	"github.com/ferrytool/ferry/transports"
)

// Reference is a parsed image name, for programs that want to check or
// take apart a name before using it. Every operation takes names as
// strings; Reference.String gives one back.
type Reference struct {
	ref transport.Reference
}

// ParseReference parses an image name as users type it,
// "TRANSPORT:DETAILS" ("docker://nginx:1.27", "oci:/srv/layout:app").
// An error matches ErrInvalidName.
func ParseReference(name string) (Reference, error) {
	r, err := transports.Parse(name)
	if err != nil {
		return Reference{}, err
	}
	return Reference{ref: r}, nil
}

// String is the full name, "TRANSPORT:DETAILS"; it parses back to the
// same reference.
func (r Reference) String() string {
	if r.ref == nil {
		return ""
	}
	return transport.FullName(r.ref)
}

// Transport is the name's transport: "docker", "oci", "docker-archive"...
func (r Reference) Transport() string {
	if r.ref == nil {
		return ""
	}
	return r.ref.Transport().Name()
}

// DockerReference is the Docker name the image carries, normalized
// ("docker.io/library/nginx:1.27"), or "" where it has none (an OCI
// layout, a directory).
func (r Reference) DockerReference() string {
	if r.ref == nil {
		return ""
	}
	if n := r.ref.DockerReference(); n != nil {
		return n.String()
	}
	return ""
}

// Transports lists the transport names ferry knows, as image names
// start with them.
func Transports() []string { return transports.Names() }

// transportsFor are the transports an image of side sd is parsed with:
// configured for the registry the name is in (its credentials and TLS
// settings), over the client's registry sessions.
func (c *Client) transportsFor(s *settings, sd *side, name string) *transports.Set {
	return transports.New(transports.Config{
		Docker:        c.dockerConfig(s, sd, registryDomain(name)),
		Daemon:        daemon.Config{Host: sd.daemonHost, AdditionalTags: sd.additionalTags},
		DockerArchive: dockerarchive.Config{AdditionalTags: sd.additionalTags},
		Layout:        layout.Config{SharedBlobDir: sd.sharedBlobDir},
		Storage:       s.storageBackend,
	})
}

// dockerConfig is how side sd reaches the registry domain: its
// credentials and TLS settings, over the client's registry sessions.
func (c *Client) dockerConfig(s *settings, sd *side, domain string) docker.Config {
	return docker.Config{
		Auth:        sd.auth(domain),
		Insecure:    sd.insecureFor(domain),
		CertDir:     sd.certDir,
		UserAgent:   s.userAgent,
		ChunkSize:   sd.chunkSize,
		Pool:        c.pool,
		RegistriesD: c.registriesD,
		Registries:  c.registries,
	}
}

// parse parses name as an image of side sd.
func (c *Client) parse(s *settings, sd *side, name string) (transport.Reference, error) {
	return c.transportsFor(s, sd, name).Parse(name)
}

// registryDomain is the registry a docker:// name is in ("docker.io",
// "localhost:5000"), "" for other names and names that do not parse
// (their parse reports the error).
func registryDomain(name string) string {
	rest, ok := strings.CutPrefix(name, "docker://")
	if !ok {
		return ""
	}
	n, err := reference.ParseNamed(rest, false)
	if err != nil {
		return ""
	}
	return reference.Domain(n)
}

// transportOptions are what a source or destination is opened with.
func (s *settings) transportOptions() transport.Options {
	return transport.Options{Platform: s.platform, TmpDir: s.tmpDir, Stdin: s.stdin, Stdout: s.stdout, Logger: s.logger}
}
