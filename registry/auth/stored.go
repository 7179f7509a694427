package auth

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"strings"
)

// Stored finds the credential already stored for key (see ParseKey), as a
// copy of an image under key would: the auth file at path alone when
// path (or $REGISTRY_AUTH_FILE) names one, else the whole lookup chain,
// credential helpers included. A named file that does not exist yet
// holds nothing, as for skopeo login, which is about to create it. from
// says where the credential came from (a file's path, or
// "docker-credential-NAME"), "" when there is none.
func Stored(ctx context.Context, path, key string, log *slog.Logger) (c Credential, from string, err error) {
	explicit := path
	if explicit == "" {
		explicit = os.Getenv("REGISTRY_AUTH_FILE")
	}
	if explicit != "" {
		if _, err := os.Stat(explicit); errors.Is(err, fs.ErrNotExist) {
			return Credential{}, "", nil
		}
	}
	host, repo, _ := strings.Cut(key, "/")
	return NewFinder(Settings{AuthFile: path}, log).lookup(ctx, host, repo)
}
