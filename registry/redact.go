package registry

import (
	"encoding/base64"
	"net/http"
	"regexp"
	"strings"
	"sync"
)

// authValue matches credentials as an Authorization header carries them
// (RFC 9110 section 11.6.2): a scheme name and its token.
var authValue = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)\b(basic|bearer)(\s+|%20|\+)[A-Za-z0-9+/=._~%-]+`)
})

// redactSecrets removes credentials from text a server sent back (an
// error body that echoes the request): whatever follows "Basic" or
// "Bearer", and the exact credentials req carried, its token, the base64
// of user:password, and the password itself, in any letter case (the
// messages are lower-cased before they get here).
func redactSecrets(text string, req *http.Request) string {
	text = authValue().ReplaceAllString(text, "$1 [redacted]")
	if req == nil {
		return text
	}
	var secrets []string
	if scheme, cred, ok := strings.Cut(req.Header.Get("Authorization"), " "); ok {
		secrets = append(secrets, cred)
		if strings.EqualFold(scheme, "basic") {
			if b, err := base64.StdEncoding.DecodeString(cred); err == nil {
				if _, pass, ok := strings.Cut(string(b), ":"); ok {
					secrets = append(secrets, pass)
				}
			}
		}
	}
	for _, s := range secrets {
		if len(s) < 3 {
			continue // too short to hunt for without mangling the text
		}
		text = regexp.MustCompile(`(?i)`+regexp.QuoteMeta(s)).ReplaceAllString(text, "[redacted]")
	}
	return text
}
