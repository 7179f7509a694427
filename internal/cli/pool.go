package cli

import "github.com/ferrytool/ferry/registry"

// registryPool is the process's pool of registry sessions, made on first
// use: every image a command opens shares it, so each registry is pinged,
// and its credentials looked up, once per process. run closes it.
func (a *app) registryPool() *registry.Pool {
	if a.pool == nil {
		a.pool = registry.NewPool(registry.PoolOptions{Logger: a.global.log()})
	}
	return a.pool
}

// closePool releases the pool's connections and saves its hints.
func (a *app) closePool() {
	if a.pool != nil {
		a.pool.Close()
		a.pool = nil
	}
}
