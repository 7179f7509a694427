//go:build linux

package main

import (
	"fmt"
	"strings"
	"sync/atomic"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/Shopify/toxiproxy/v2/toxics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// slowLink is a TCP proxy in front of the registry that shapes traffic
// the way a slow WAN link does: Shopify's toxiproxy, run in process, with
// a "bandwidth" toxic (a rate cap per connection, as per-flow shaping and
// long-distance TCP windows impose) and a "latency" toxic on the data
// flowing back to the client. A last toxic counts the bytes it lets
// through: what the client actually received, which the resume scenario
// watches.
type slowLink struct {
	// Host is the proxy's "127.0.0.1:PORT", used in image names instead
	// of the registry's.
	Host string

	proxy     *toxiproxy.Proxy
	delivered *atomic.Int64
}

// countToxicType names the counting toxic in toxiproxy's registry.
const countToxicType = "ferrybench_count"

func init() {
	// toxiproxy's toxics log through zerolog's global logger; the harness
	// keeps stderr for its own progress.
	zerolog.SetGlobalLevel(zerolog.Disabled)
	toxics.Register(countToxicType, new(countToxic))
}

// startSlowLink proxies to upstream with rateKBps (kilobytes per second,
// per connection; 0 for no cap) and latencyMS added to each chunk sent
// back to the client.
func startSlowLink(upstream string, rateKBps, latencyMS int64) (*slowLink, error) {
	server := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	p := toxiproxy.NewProxy(server, "registry", "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		return nil, fmt.Errorf("start toxiproxy: %w", err)
	}
	l := &slowLink{Host: p.Listen, proxy: p}
	// The rate cap comes first: it takes one chunk at a time, so the
	// registry is held back by TCP backpressure as behind a real slow
	// link. The latency toxic buffers 1024 chunks; ahead of the cap it let
	// the registry push every response at full speed into the proxy (32 MB
	// per connection), which on a 2-core machine took CPU from the client
	// being measured. Behind the cap it delays what crossed the link.
	specs := []string{}
	if rateKBps > 0 {
		specs = append(specs, fmt.Sprintf(`{"name":"bandwidth","type":"bandwidth","stream":"downstream","attributes":{"rate":%d}}`, rateKBps))
	}
	if latencyMS > 0 {
		specs = append(specs, fmt.Sprintf(`{"name":"latency","type":"latency","stream":"downstream","attributes":{"latency":%d}}`, latencyMS))
	}
	specs = append(specs, `{"name":"count","type":"`+countToxicType+`","stream":"downstream"}`)
	for _, s := range specs {
		w, err := p.Toxics.AddToxicJson(strings.NewReader(s))
		if err != nil {
			p.Stop()
			return nil, fmt.Errorf("add toxic %s: %w", s, err)
		}
		if c, ok := w.Toxic.(*countToxic); ok {
			l.delivered = &c.n
		}
	}
	return l, nil
}

// Delivered is the number of bytes the link passed to clients so far
// (all response bytes: headers, manifests and blobs).
func (l *slowLink) Delivered() int64 { return l.delivered.Load() }

// Close stops the proxy and drops its connections.
func (l *slowLink) Close() { l.proxy.Stop() }

// countToxic passes data through unchanged and counts it; one instance
// serves every connection of the proxy.
type countToxic struct {
	n atomic.Int64
}

// Pipe implements toxics.Toxic.
func (t *countToxic) Pipe(stub *toxics.ToxicStub) {
	for {
		select {
		case <-stub.Interrupt:
			return
		case c := <-stub.Input:
			if c == nil {
				stub.Close()
				return
			}
			t.n.Add(int64(len(c.Data)))
			stub.Output <- c
		}
	}
}
