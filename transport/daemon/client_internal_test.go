package daemon

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrytool/ferry/errdefs"
)

// TestSilentDaemonFails: a Docker host that accepts connections and never
// answers (a wedged daemon, or a TCP port forwarded to nothing) fails the
// first call in bounded time with ErrUnavailable, not a wait until killed.
// The quick-answer bound is shortened for the test.
func TestSilentDaemonFails(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a safety net only
	defer cancel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never answered
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}()
	c, err := newClient("tcp://" + l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	c.quick = 50 * time.Millisecond
	_, err = c.apiVersion(ctx)
	if !errors.Is(err, errdefs.ErrUnavailable) || !strings.Contains(err.Error(), "no answer") || ctx.Err() != nil {
		t.Errorf("apiVersion: got %v, want ErrUnavailable saying the daemon did not answer", err)
	}
}
