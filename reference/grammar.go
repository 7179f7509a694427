package reference

import (
	"errors"
	"strings"

	"github.com/opencontainers/go-digest"
)

// The grammar of image names, as Docker and the distribution registry
// define it, checked by hand rather than by regular expressions: ferry
// parses a handful of names per run, and compiling the grammar's
// expressions at start-up cost 0.4 MB of heap that every run then kept.
//
//	reference := name [ ":" tag ] [ "@" digest ]
//	name      := [ domain "/" ] component ( "/" component )*
//	domain    := host [ ":" port ]
//	host      := label ( "." label )* | "[" ipv6 "]"
//	label     := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
//	port      := [0-9]+
//	ipv6      := [a-fA-F0-9:]+
//	component := [a-z0-9]+ ( separator [a-z0-9]+ )*
//	separator := "." | "_" | "__" | "-"+
//	tag       := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
//	digest    := algorithm ":" [0-9a-fA-F]{32,}
//	algorithm := word ( [-_+.] word )*, word := [A-Za-z][A-Za-z0-9]*
//
// The first component is the domain when it parses as one and more
// components follow; otherwise the name has no domain.

// Errors of the grammar; messages as Docker's, which scripts match.
var (
	errFormat     = errors.New("invalid reference format")
	errUppercase  = errors.New("invalid reference format: repository name must be lowercase")
	errEmpty      = errors.New("invalid reference format: repository name must have at least one component")
	errTooLong    = errors.New("invalid reference format: repository name must not be more than 255 characters")
	errTag        = errors.New("invalid tag format")
	errDigest     = errors.New("invalid digest format")
	errIdentifier = errors.New("invalid repository name: a 64-character hexadecimal string is an image ID, not a name")
)

// maxPathLen bounds a repository path, as the registry does.
const maxPathLen = 255

// split parses s by the grammar without normalizing it: "alpine" has no
// domain, "foo/bar" has the domain "foo".
func split(s string) (name, error) {
	if s == "" {
		return name{}, errEmpty
	}
	n, ok := splitExact(s)
	if !ok {
		if _, lower := splitExact(strings.ToLower(s)); lower {
			return name{}, errUppercase
		}
		return name{}, errFormat
	}
	if len(n.path) > maxPathLen {
		return name{}, errTooLong
	}
	if n.dig != "" {
		if err := n.dig.Validate(); err != nil {
			return name{}, err
		}
	}
	return n, nil
}

// splitExact is the grammar alone: it reports whether s is a reference
// and its parts (the digest's algorithm not yet checked).
func splitExact(s string) (name, bool) {
	var n name
	rest := s
	if at := strings.IndexByte(rest, '@'); at >= 0 {
		d := rest[at+1:]
		if !isDigest(d) {
			return name{}, false
		}
		n.dig, rest = digest.Digest(d), rest[:at]
	}
	// A ":" after the last "/" starts the tag; one before it is a port.
	if c := strings.LastIndexByte(rest, ':'); c >= 0 && c > strings.LastIndexByte(rest, '/') {
		if !isTag(rest[c+1:]) {
			return name{}, false
		}
		n.tag, rest = rest[c+1:], rest[:c]
	}
	if first, more, ok := strings.Cut(rest, "/"); ok && isDomain(first) && isPath(more) {
		n.domain, n.path = first, more
		return n, true
	}
	if !isPath(rest) {
		return name{}, false
	}
	n.path = rest
	return n, true
}

// isPath: component ( "/" component )*.
func isPath(s string) bool {
	for {
		c, more, found := strings.Cut(s, "/")
		if !isComponent(c) {
			return false
		}
		if !found {
			return true
		}
		s = more
	}
}

// isComponent: runs of [a-z0-9] joined by ".", "_", "__" or dashes.
func isComponent(s string) bool {
	if s == "" || !isLowerAlnum(s[0]) || !isLowerAlnum(s[len(s)-1]) {
		return false
	}
	for i := 0; i < len(s); {
		if isLowerAlnum(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && !isLowerAlnum(s[j]) {
			j++
		}
		if !isSeparator(s[i:j]) {
			return false
		}
		i = j
	}
	return true
}

func isSeparator(s string) bool {
	switch s {
	case ".", "_", "__":
		return true
	}
	return strings.Trim(s, "-") == ""
}

// isDomain: host [ ":" port ], host a dotted name or a bracketed IPv6
// address.
func isDomain(s string) bool {
	host, port := s, ""
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return false
		}
		host, port = s[:end+1], s[end+1:]
		if !isIPv6(host[1:end]) {
			return false
		}
	} else {
		if c := strings.IndexByte(s, ':'); c >= 0 {
			host, port = s[:c], s[c:]
		}
		if !isHostname(host) {
			return false
		}
	}
	if port == "" {
		return true
	}
	return port[0] == ':' && len(port) > 1 && allBytes(port[1:], isDigit)
}

func isHostname(s string) bool {
	for {
		label, more, found := strings.Cut(s, ".")
		if label == "" || !isAlnum(label[0]) || !isAlnum(label[len(label)-1]) ||
			!allBytes(label, func(b byte) bool { return isAlnum(b) || b == '-' }) {
			return false
		}
		if !found {
			return true
		}
		s = more
	}
}

func isIPv6(s string) bool {
	return s != "" && allBytes(s, func(b byte) bool { return isHex(b) || b == ':' })
}

// isTag: a word character, then up to 127 word characters, dots or dashes.
func isTag(s string) bool {
	return s != "" && len(s) <= 128 && isWord(s[0]) &&
		allBytes(s, func(b byte) bool { return isWord(b) || b == '.' || b == '-' })
}

// isDigest: algorithm ":" at least 32 hex digits.
func isDigest(s string) bool {
	alg, hex, ok := strings.Cut(s, ":")
	if !ok || len(hex) < 32 || !allBytes(hex, isHex) {
		return false
	}
	// Words of a letter then letters and digits, joined by one of -_+.
	start := true
	for i := 0; i < len(alg); i++ {
		b := alg[i]
		switch {
		case start && !isAlpha(b):
			return false
		case start:
			start = false
		case b == '-' || b == '_' || b == '+' || b == '.':
			start = true
		case !isAlnum(b):
			return false
		}
	}
	return !start // neither empty nor ending with a separator
}

// isIdentifier: 64 lowercase hex digits, an image ID.
func isIdentifier(s string) bool {
	return len(s) == 64 && allBytes(s, func(b byte) bool { return isDigit(b) || ('a' <= b && b <= 'f') })
}

func allBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(b byte) bool      { return '0' <= b && b <= '9' }
func isAlpha(b byte) bool      { return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' }
func isAlnum(b byte) bool      { return isAlpha(b) || isDigit(b) }
func isLowerAlnum(b byte) bool { return 'a' <= b && b <= 'z' || isDigit(b) }
func isWord(b byte) bool       { return isAlnum(b) || b == '_' }
func isHex(b byte) bool        { return isDigit(b) || 'a' <= b && b <= 'f' || 'A' <= b && b <= 'F' }
