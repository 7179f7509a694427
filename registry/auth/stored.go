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
// holds nothing, as for skopeo login, which is about to create it.
func Stored(ctx context.Context, path, key string, log *slog.Logger) (Credential, error) {
	explicit := path
	if explicit == "" {
		explicit = os.Getenv("REGISTRY_AUTH_FILE")
	}
	if explicit != "" {
		if _, err := os.Stat(explicit); errors.Is(err, fs.ErrNotExist) {
			return Credential{}, nil
		}
	}
	host, repo, _ := strings.Cut(key, "/")
	return Lookup(ctx, host, repo, Settings{AuthFile: path}, log)
}
