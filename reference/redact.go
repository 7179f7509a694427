package reference

import (
	"regexp"
	"strings"
	"sync"
)

// trailingDigest is "@algorithm:encoded" at the end of an image name.
var trailingDigest = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`@[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$`) })

// Redact hides a password typed into an image name as URL user info
// ("user:pass@host/repo" becomes "user:xxxxx@host/repo"), so that an error
// about the name does not echo the secret. Image names have no user info:
// everything before the last "@" that does not start a digest is taken
// for it, so a password holding "/" or "@" is hidden too. It takes a name
// with or without its "transport://" prefix.
func Redact(s string) string {
	// A whole name, "docker://user:pass@host/repo": redact what follows "//".
	if i := strings.Index(s, "//"); i >= 0 && !strings.Contains(s[:i], "@") {
		return s[:i+2] + Redact(s[i+2:])
	}
	name, dig := s, ""
	if loc := trailingDigest().FindStringIndex(s); loc != nil {
		name, dig = s[:loc[0]], s[loc[0]:]
	}
	at := strings.LastIndexByte(name, '@')
	if at < 0 {
		return s
	}
	user, _, hasPass := strings.Cut(name[:at], ":")
	if !hasPass {
		return s
	}
	return user + ":xxxxx" + name[at:] + dig
}
