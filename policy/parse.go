package policy

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/ferrytool/ferry/internal/strictjson"
	"github.com/ferrytool/ferry/reference"
)

// Parse reads a policy strictly: unknown or duplicate members, a missing
// default, an empty requirements list or an invalid scope reject the whole
// file, so that a typo cannot quietly weaken it.
func Parse(b []byte) (*Policy, error) {
	p, err := parse(b)
	if err != nil {
		return nil, &LoadError{Err: err}
	}
	return p, nil
}

func parse(b []byte) (*Policy, error) {
	top, err := object(b)
	if err != nil {
		return nil, err
	}
	if err := strictjson.Only(top, "default", "transports"); err != nil {
		return nil, err
	}
	raw, ok := top["default"]
	if !ok {
		return nil, errors.New("Default policy is missing")
	}
	p := &Policy{Transports: map[string]map[string][]Requirement{}}
	if p.Default, err = parseRequirements(raw); err != nil {
		return nil, err
	}
	if raw, ok := top["transports"]; ok && !isNull(raw) {
		transports, err := object(raw)
		if err != nil {
			return nil, fmt.Errorf("transports: %w", err)
		}
		for name, raw := range transports {
			scopes, err := object(raw)
			if err != nil {
				return nil, fmt.Errorf("transport %s: %w", name, err)
			}
			p.Transports[name] = map[string][]Requirement{}
			for scope, raw := range scopes {
				if err := validateScope(name, scope); err != nil {
					return nil, err
				}
				reqs, err := parseRequirements(raw)
				if err != nil {
					return nil, err
				}
				p.Transports[name][scope] = reqs
			}
		}
	}
	return p, nil
}

// object is strictjson.Object with containers/image's wording for a
// value that is not an object.
func object(b []byte) (map[string]json.RawMessage, error) {
	m, err := strictjson.Object(b)
	if err != nil && !strings.HasPrefix(err.Error(), "Duplicate key") {
		first := strings.TrimSpace(string(b))
		if len(first) > 0 && first[0] != '{' {
			return nil, fmt.Errorf("JSON object expected, got %q", first[:1])
		}
	}
	return m, err
}

func isNull(b json.RawMessage) bool { return strings.TrimSpace(string(b)) == "null" }

// pathTransports take absolute paths as scopes.
var pathTransports = map[string]bool{"dir": true, "oci": true, "oci-archive": true, "docker-archive": true}

// validateScope checks a scope for the transports whose scopes ferry
// matches by path; docker scopes are free-form (a scope that is not a
// valid name simply never matches), as in containers/image.
func validateScope(transport, scope string) error {
	if scope == "" || !pathTransports[transport] {
		return nil
	}
	if !strings.HasPrefix(scope, "/") {
		return fmt.Errorf("invalid scope %q for transport %s: must be an absolute path", scope, transport)
	}
	if scope == "/" {
		return fmt.Errorf(`invalid scope "/" for transport %s: use the transport's default scope ""`, transport)
	}
	if c := filepath.Clean(scope); c != scope {
		return fmt.Errorf("invalid scope %q for transport %s: uses a non-canonical path, perhaps try %s", scope, transport, c)
	}
	return nil
}

func parseRequirements(raw json.RawMessage) ([]Requirement, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, errors.New("a list of policy requirements is expected")
	}
	if len(items) == 0 {
		return nil, errors.New("List of verification policy requirements must not be empty")
	}
	reqs := make([]Requirement, 0, len(items))
	for _, it := range items {
		r, err := parseRequirement(it)
		if err != nil {
			return nil, err
		}
		reqs = append(reqs, r)
	}
	return reqs, nil
}

func parseRequirement(raw json.RawMessage) (Requirement, error) {
	m, err := object(raw)
	if err != nil {
		return nil, err
	}
	typ, _, err := strictjson.String(m, "type")
	if err != nil {
		return nil, err
	}
	switch typ {
	case "insecureAcceptAnything":
		return InsecureAcceptAnything{}, strictjson.Only(m, "type")
	case "reject":
		return Reject{}, strictjson.Only(m, "type")
	case "signedBy":
		return parseSignedBy(m)
	case "signedBaseLayer":
		if err := strictjson.Only(m, "type", "baseLayerIdentity"); err != nil {
			return nil, err
		}
		raw, ok := m["baseLayerIdentity"]
		if !ok {
			return nil, errors.New(`"baseLayerIdentity" field missing`)
		}
		id, err := parseIdentity(raw)
		if err != nil {
			return nil, err
		}
		return &SignedBaseLayer{BaseLayerIdentity: id}, nil
	case "sigstoreSigned":
		return parseSigstore(m)
	}
	return nil, fmt.Errorf("Unknown policy requirement type %q", typ)
}

func parseSignedBy(m map[string]json.RawMessage) (*SignedBy, error) {
	if err := strictjson.Only(m, "type", "keyType", "keyPath", "keyPaths", "keyData", "signedIdentity"); err != nil {
		return nil, err
	}
	r := &SignedBy{SignedIdentity: Identity{Kind: "matchRepoDigestOrExact"}}
	var err error
	if r.KeyType, _, err = strictjson.String(m, "keyType"); err != nil {
		return nil, err
	}
	switch r.KeyType {
	case "GPGKeys":
	case "":
		return nil, fmt.Errorf("invalid keyType %q", r.KeyType)
	default:
		// containers/image accepts only GPGKeys (the other names it defines
		// are unimplemented).
		return nil, fmt.Errorf("Unrecognized keyType value %q", r.KeyType)
	}
	n := 0
	if p, ok, err := strictjson.String(m, "keyPath"); err != nil {
		return nil, err
	} else if ok {
		r.KeyPath, n = p, n+1
	}
	if raw, ok := m["keyPaths"]; ok {
		if err := json.Unmarshal(raw, &r.KeyPaths); err != nil || len(r.KeyPaths) == 0 {
			return nil, errors.New(`"keyPaths" must be a non-empty list of paths`)
		}
		n++
	}
	if d, ok, err := strictjson.String(m, "keyData"); err != nil {
		return nil, err
	} else if ok {
		if r.KeyData, err = base64.StdEncoding.DecodeString(d); err != nil {
			return nil, err
		}
		n++
	}
	switch {
	case n == 0:
		return nil, errors.New("Exactly one of keyPath, keyPaths and keyData must be specified, none of them present")
	case n > 1:
		return nil, errors.New("Exactly one of keyPath, keyPaths and keyData must be specified, more than one present")
	}
	if raw, ok := m["signedIdentity"]; ok {
		if r.SignedIdentity, err = parseIdentity(raw); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func parseSigstore(m map[string]json.RawMessage) (*SigstoreSigned, error) {
	if err := strictjson.Only(m, "type", "keyPath", "keyPaths", "keyData", "keyDatas", "fulcio", "pki",
		"rekorPublicKeyPath", "rekorPublicKeyPaths", "rekorPublicKeyData", "rekorPublicKeyDatas", "signedIdentity"); err != nil {
		return nil, err
	}
	r := &SigstoreSigned{SignedIdentity: Identity{Kind: "matchRepoDigestOrExact"}}
	keys, rekors := 0, 0
	str := func(key string, dst *string, count *int) error {
		s, ok, err := strictjson.String(m, key)
		if ok && err == nil {
			*dst = s
			*count++
		}
		return err
	}
	list := func(key string, dst *[]string, count *int) error {
		raw, ok := m[key]
		if !ok {
			return nil
		}
		if err := json.Unmarshal(raw, dst); err != nil || len(*dst) == 0 {
			return fmt.Errorf("%q must be a non-empty list of strings", key)
		}
		*count++
		return nil
	}
	obj := func(key string, dst *map[string]string, count *int) error {
		raw, ok := m[key]
		if !ok {
			return nil
		}
		sub, err := object(raw)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		*dst = map[string]string{}
		for k, v := range sub {
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				// pki's and fulcio's members are all strings.
				return fmt.Errorf("%s: %q must be a string", key, k)
			}
			(*dst)[k] = s
		}
		*count++
		return nil
	}
	for _, err := range []error{
		str("keyPath", &r.KeyPath, &keys), list("keyPaths", &r.KeyPaths, &keys),
		str("keyData", &r.KeyData, &keys), list("keyDatas", &r.KeyDatas, &keys),
		obj("fulcio", &r.Fulcio, &keys), obj("pki", &r.PKI, &keys),
		str("rekorPublicKeyPath", &r.RekorPublicKeyPath, &rekors), list("rekorPublicKeyPaths", &r.RekorPublicKeyPaths, &rekors),
		str("rekorPublicKeyData", &r.RekorPublicKeyData, &rekors), list("rekorPublicKeyDatas", &r.RekorPublicKeyDatas, &rekors),
	} {
		if err != nil {
			return nil, err
		}
	}
	if err := checkFields("fulcio", r.Fulcio, []string{"oidcIssuer", "subjectEmail"}, "caPath", "caData"); err != nil {
		return nil, err
	}
	if err := checkFields("pki", r.PKI, nil, "caRootsPath", "caRootsData", "caIntermediatesPath", "caIntermediatesData", "subjectEmail", "subjectHostname"); err != nil {
		return nil, err
	}
	switch {
	case keys == 0:
		return nil, errors.New("exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio and pki must be specified, none of them present")
	case keys > 1:
		return nil, errors.New("exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio and pki must be specified, more than one present")
	case rekors > 1:
		return nil, errors.New("at most one of rekorPublicKeyPath, rekorPublicKeyPaths, rekorPublicKeyData and rekorPublicKeyDatas may be specified")
	case r.PKI != nil && rekors > 0:
		return nil, errors.New("pki cannot be combined with a rekor public key")
	case r.Fulcio != nil && rekors == 0:
		return nil, errors.New("fulcio requires a rekor public key (rekorPublicKeyPath, rekorPublicKeyPaths, rekorPublicKeyData or rekorPublicKeyDatas)")
	}
	for _, d := range append(append(nonEmpty(r.KeyData), r.KeyDatas...), append(nonEmpty(r.RekorPublicKeyData), append(r.RekorPublicKeyDatas, r.Fulcio["caData"])...)...) {
		if _, err := base64.StdEncoding.DecodeString(d); err != nil {
			return nil, fmt.Errorf("key data is not base64: %v", err)
		}
	}
	if raw, ok := m["signedIdentity"]; ok {
		var err error
		if r.SignedIdentity, err = parseIdentity(raw); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// checkFields checks an object's string members: required ones present,
// the rest among optional.
func checkFields(name string, m map[string]string, required []string, optional ...string) error {
	if m == nil {
		return nil
	}
	for _, k := range required {
		if m[k] == "" {
			return fmt.Errorf("%s: %q is missing", name, k)
		}
	}
	for k := range m {
		known := false
		for _, o := range append(append([]string{}, required...), optional...) {
			known = known || k == o
		}
		if !known {
			return fmt.Errorf("%s: Unknown key %q", name, k)
		}
	}
	return nil
}

func parseIdentity(raw json.RawMessage) (Identity, error) {
	var id Identity
	m, err := object(raw)
	if err != nil {
		return id, err
	}
	if id.Kind, _, err = strictjson.String(m, "type"); err != nil {
		return id, err
	}
	switch id.Kind {
	case "matchExact", "matchRepoDigestOrExact", "matchRepository":
		return id, strictjson.Only(m, "type")
	case "exactReference":
		if err := strictjson.Only(m, "type", "dockerReference"); err != nil {
			return id, err
		}
		s, ok, err := strictjson.String(m, "dockerReference")
		if err != nil || !ok {
			return id, errors.New(`"dockerReference" field missing`)
		}
		n, err := reference.ParseNamed(s, false)
		if err != nil {
			return id, fmt.Errorf("Invalid format of dockerReference %s: %v", s, err)
		}
		if reference.Tag(n) == "" && reference.Digest(n) == "" {
			return id, fmt.Errorf("dockerReference %s contains neither a tag nor digest", s)
		}
		id.DockerReference = s
	case "exactRepository":
		if err := strictjson.Only(m, "type", "dockerRepository"); err != nil {
			return id, err
		}
		s, ok, err := strictjson.String(m, "dockerRepository")
		if err != nil || !ok {
			return id, errors.New(`"dockerRepository" field missing`)
		}
		if _, err := reference.ParseNamed(s, false); err != nil {
			return id, fmt.Errorf("Invalid format of dockerRepository %s: invalid reference format", s)
		}
		id.DockerRepository = s
	case "remapIdentity":
		if err := strictjson.Only(m, "type", "prefix", "signedPrefix"); err != nil {
			return id, err
		}
		for _, f := range []struct {
			key string
			dst *string
		}{{"prefix", &id.Prefix}, {"signedPrefix", &id.SignedPrefix}} {
			s, ok, err := strictjson.String(m, f.key)
			if err != nil || !ok {
				return id, fmt.Errorf("%q field missing", f.key)
			}
			if !validPrefix(s) {
				return id, fmt.Errorf("%s %q is not valid", f.key, s)
			}
			*f.dst = s
		}
	default:
		return id, fmt.Errorf("Unknown policy reference match type %q", id.Kind)
	}
	return id, nil
}

// validPrefix accepts what a remapIdentity prefix may be: a host[:port], a
// host and namespace, or a repository, fully qualified, without tag or
// digest and without wildcards.
func validPrefix(s string) bool {
	if s == "" || strings.HasPrefix(s, "*.") || strings.ContainsAny(s, "@") {
		return false
	}
	if !strings.Contains(s, "/") {
		// A host alone: check it parses as the host of a repository.
		n, err := reference.ParseNamed(s+"/x", false)
		return err == nil && reference.Domain(n) == s
	}
	n, err := reference.ParseNamed(s, false)
	return err == nil && n.String() == s
}
