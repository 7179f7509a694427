// Package auth finds registry credentials and turns them into
// Authorization headers: WWW-Authenticate challenges (RFC 7235), Basic
// auth, and bearer tokens from Docker's token service, cached per scope.
// Credentials come, in skopeo's order, from explicit options, auth.json
// files, Docker's config.json and docker-credential-* helpers.
//
// Nothing here logs or returns a secret: errors name the registry, never
// a password or token.
package auth

import (
	"strings"
)

// Challenge is one challenge of a WWW-Authenticate header: a scheme
// ("bearer", "basic", lower-cased) and its parameters (keys lower-cased).
type Challenge struct {
	Scheme string
	Params map[string]string
}

// ParseChallenges parses WWW-Authenticate header values (RFC 7235 section
// 4.1): each may hold several comma-separated challenges, each a scheme
// followed by auth-params whose values are tokens or quoted strings.
// Malformed trailing text is ignored rather than failing the request.
func ParseChallenges(headers []string) []Challenge {
	var out []Challenge
	for _, h := range headers {
		out = append(out, parseHeader(h)...)
	}
	return out
}

func parseHeader(s string) []Challenge {
	var out []Challenge
	for {
		s = skipSpaceAndCommas(s)
		scheme, rest := readToken(s)
		if scheme == "" {
			return out
		}
		s = rest
		ch := Challenge{Scheme: strings.ToLower(scheme), Params: map[string]string{}}
		for {
			key, after := readToken(skipSpaceAndCommas(s))
			after = strings.TrimLeft(after, " \t")
			if key == "" || !strings.HasPrefix(after, "=") {
				// The end, or the scheme of the next challenge.
				break
			}
			after = strings.TrimLeft(after[1:], " \t")
			var val string
			if strings.HasPrefix(after, `"`) {
				val, after = readQuoted(after)
			} else {
				val, after = readToken(after)
			}
			ch.Params[strings.ToLower(key)] = val
			s = after
		}
		out = append(out, ch)
	}
}

func skipSpaceAndCommas(s string) string {
	return strings.TrimLeft(s, " \t,")
}

// isTokenChar reports whether c is a tchar of RFC 7230 section 3.2.6, or
// '/' or ':', which some servers leave unquoted in a realm URL.
func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~/:", c) >= 0
}

func readToken(s string) (tok, rest string) {
	i := 0
	for i < len(s) && isTokenChar(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

// readQuoted reads a quoted-string, undoing backslash escapes.
func readQuoted(s string) (val, rest string) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), s[i+1:]
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), ""
}

// Find returns the first challenge with the given (lower-case) scheme.
func Find(chs []Challenge, scheme string) (Challenge, bool) {
	for _, c := range chs {
		if c.Scheme == scheme {
			return c, true
		}
	}
	return Challenge{}, false
}
