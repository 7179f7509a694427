// Package registriesconf reads containers-registries.conf(5), the TOML file
// every containers tool (podman, buildah, skopeo, CRI-O) shares, and answers
// the questions ferry asks of it about an image name: where may it be
// pulled from (mirrors in order, then the primary location, each with its
// rewritten name and TLS setting), where do pushes go, is the registry
// blocked, and what does a short name ("alpine") stand for.
//
// Files are found as containers/image 5.42 finds them (see Options): one
// main file, drop-ins from registries.conf.d directories in basename order,
// then CONTAINERS_REGISTRIES_CONF_OVERRIDE. Both the v2 format
// ([[registry]] tables) and the old v1 format ([registries.search],
// [registries.insecure], [registries.block]) are read. Unlike
// containers/image, which logs unknown keys and goes on, an unknown key is
// an error naming the file and line: a misspelt "mirror" would otherwise
// silently send every pull to the primary registry.
//
// The package reads; it never writes (short-name aliases recorded by
// podman in short-name-aliases.conf are not read either).
package registriesconf
