package cli

import (
	"context"

	"github.com/ferrytool/ferry"
	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/transport/storage/store"
	"github.com/spf13/cobra"
)

// The commands run through package ferry, the library's front door, as any
// Go program would: the flags decide an imageSetup or a copySetup (what
// the flag tests check), which become ferry options here.

// ferryClient is a client over the process's registry pool (which run
// closes) and the registries.d configuration --registries.d chooses. The
// command always opens containers-storage: images (cmd/ferry calls
// store.Init), which a Go program opts in to.
func (a *app) ferryClient() (*ferry.Client, error) {
	return ferry.NewClient(
		ferry.WithContainersStorage(store.Backend),
		ferry.WithRegistryPool(a.registryPool()),
		ferry.WithRegistriesDir(a.global.registriesD),
		ferry.WithRegistriesConf(a.global.registriesConf),
		ferry.WithLogger(a.global.log()),
	)
}

// session is what every command that calls the library starts with: a
// ferryClient and the command's context (--command-timeout applied).
// done closes both.
func (a *app) session(cmd *cobra.Command) (ctx context.Context, client *ferry.Client, done func(), err error) {
	client, err = a.ferryClient()
	if err != nil {
		return nil, nil, nil, err
	}
	ctx, cancel := a.global.context(cmd.Context())
	return ctx, client, func() {
		cancel()
		client.Close()
	}, nil
}

// sideOptions are the options of one image's flags that apply to its side
// alone: credentials, TLS, the daemon's address, archive tags, chunks.
func (s *imageSetup) sideOptions() []ferry.Option {
	d := s.config.Docker
	var o []ferry.Option
	if d.Auth.Username != "" {
		o = append(o, ferry.WithCredentials("", d.Auth.Username, d.Auth.Password))
	}
	if d.Auth.BearerToken != "" {
		o = append(o, ferry.WithRegistryToken("", d.Auth.BearerToken))
	}
	if d.Auth.NoCreds {
		o = append(o, ferry.WithAnonymous())
	}
	if d.Auth.AuthFile != "" {
		o = append(o, ferry.WithAuthFile(d.Auth.AuthFile))
	}
	if d.Insecure {
		o = append(o, ferry.WithInsecure())
	}
	if d.CertDir != "" {
		o = append(o, ferry.WithCertDir(d.CertDir))
	}
	if d.ChunkSize != 0 {
		o = append(o, ferry.WithChunkSize(d.ChunkSize))
	}
	if h := s.config.Daemon.Host; h != "" {
		o = append(o, ferry.WithDaemonHost(h))
	}
	if dir := s.config.Layout.SharedBlobDir; dir != "" {
		o = append(o, ferry.WithSharedBlobDir(dir))
	}
	if tags := s.config.DockerArchive.AdditionalTags; len(tags) > 0 {
		o = append(o, ferry.WithAdditionalTags(tags...))
	}
	return o
}

// callOptions are the options the global flags give every operation.
func (s *imageSetup) callOptions(retry retryFlags) []ferry.Option {
	return []ferry.Option{
		ferry.WithPlatform(s.opts.Platform),
		ferry.WithTempDir(s.opts.TmpDir),
		ferry.WithStdin(s.opts.Stdin),
		ferry.WithStdout(s.opts.Stdout),
		ferry.WithLogger(s.opts.Logger),
		ferry.WithUserAgent(s.config.Docker.UserAgent),
		ferry.WithRetry(retry.times, retry.delay),
	}
}

// ferryOptions are the options of a command on one image.
func (s *imageSetup) ferryOptions(retry retryFlags) []ferry.Option {
	return append(s.callOptions(retry), s.sideOptions()...)
}

// ferryOptions are the options of a copy.
func (s *copySetup) ferryOptions() []ferry.Option {
	o := s.opts
	opts := append(s.src.callOptions(retryFlags{o.RetryTimes, o.RetryDelay}),
		ferry.Source(s.src.sideOptions()...),
		ferry.Destination(s.dest.sideOptions()...),
		ferry.WithLogger(o.Logger),
	)
	switch o.MultiArch {
	case copier.All:
		opts = append(opts, ferry.WithAllPlatforms())
	case copier.IndexOnly:
		opts = append(opts, ferry.WithIndexOnly())
	case copier.Platforms:
		opts = append(opts, ferry.WithPlatforms(o.Platforms...))
	}
	if o.Format != "" {
		opts = append(opts, ferry.WithFormat(o.Format))
	}
	if o.Compression != "" {
		opts = append(opts, ferry.WithCompression(o.Compression, o.CompressionLevel))
	}
	if o.PreserveDigests {
		opts = append(opts, ferry.WithPreserveDigests())
	}
	if o.RemoveSignatures {
		opts = append(opts, ferry.WithoutSignatures())
	}
	if o.Concurrency > 0 {
		opts = append(opts, ferry.WithConcurrency(o.Concurrency))
	}
	if len(o.Signers) > 0 {
		opts = append(opts, ferry.WithSigners(o.Signers...))
	}
	if o.Policy != nil {
		opts = append(opts, ferry.WithPolicyCheck(o.Policy))
	}
	return opts
}
