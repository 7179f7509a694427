package auth

// Settings say where a registry's credentials come from. The zero value
// looks them up in the usual files (see Finder). Settings are comparable,
// so sessions that use different ones (--src-creds and --dest-creds for
// one host) can be told apart.
type Settings struct {
	Username string
	Password string
	// BearerToken is a bearer token used as is (--registry-token).
	BearerToken string
	// NoCreds: access anonymously, ignoring every credential file.
	NoCreds bool
	// AuthFile overrides the credential file lookup (--authfile); a file
	// named here that does not exist is an error.
	AuthFile string
}
