package ferry

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/ferrytool/ferry/internal/retry"
	"github.com/ferrytool/ferry/registriesconf"
	"github.com/ferrytool/ferry/registriesd"
	"github.com/ferrytool/ferry/registry"
)

// Client runs ferry's operations over one set of registry sessions: each
// registry is pinged, and its credentials looked up and exchanged for a
// token, once for all the calls of a client, whatever their number or
// concurrency. It also learns, and records for the next process, which
// repositories hold which blobs, so a push can mount a blob instead of
// uploading it.
//
// A Client is safe for concurrent use. Close it when done; its calls
// then fail.
type Client struct {
	base        *settings
	pool        *registry.Pool
	ownPool     bool
	registriesD *registriesd.Config
	registries  *registriesconf.Config
	closed      atomic.Bool
}

// NewClient returns a client configured by opts, which apply to every
// call it makes (each call may add its own). It does no I/O: registries
// are reached on first use. What it learns about registries is read from,
// and saved at Close to, $XDG_CACHE_HOME/ferry/registry-hints.json unless
// WithRegistryHints or WithoutRegistryHints says otherwise.
func NewClient(opts ...Option) (*Client, error) {
	s := &settings{}
	if err := s.apply(opts); err != nil {
		return nil, err
	}
	c := &Client{base: s, pool: s.pool}
	if c.pool == nil {
		c.pool = registry.NewPool(registry.PoolOptions{HintsPath: s.hintsPath, NoHints: s.noHints, Logger: s.logger})
		c.ownPool = true
	}
	if s.registriesD != nil {
		c.registriesD = registriesd.Lazy(registriesd.Options{Dir: *s.registriesD, Logger: s.logger})
	}
	if s.registriesConf != nil {
		c.registries = registriesconf.Lazy(registriesconf.Options{Path: *s.registriesConf, Logger: s.logger})
	}
	return c, nil
}

// Close releases the client's connections and saves what it learned
// about registries. A registry pool given with WithRegistryPool is left
// open for its owner. Close is idempotent.
func (c *Client) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	if c.ownPool {
		c.pool.Close()
	}
	return nil
}

// settings are the client's settings with opts, one call's, applied.
func (c *Client) settings(opts []Option) (*settings, error) {
	if c.closed.Load() {
		return nil, fmt.Errorf("%w: the ferry client is closed", ErrInvalidArgument)
	}
	s := c.base.clone()
	s.call = true
	if err := s.apply(opts); err != nil {
		return nil, err
	}
	return s, nil
}

// withRetry runs f as WithRetry says, logging each retry.
func (s *settings) withRetry(ctx context.Context, f func() error) error {
	return retry.Do(ctx, retry.Policy{Times: s.retries, Delay: s.retryWait,
		OnRetry: func(attempt int, wait time.Duration, err error) {
			s.log().Warn("failed, retrying", "attempt", attempt, "of", s.retries, "in", wait, "error", err)
		}}, f)
}

// oneShot runs f with a client made for it from opts, closed afterwards:
// what the package-level functions do.
func oneShot[T any](opts []Option, f func(*Client) (T, error)) (T, error) {
	c, err := NewClient(opts...)
	if err != nil {
		var zero T
		return zero, err
	}
	defer c.Close()
	return f(c)
}
