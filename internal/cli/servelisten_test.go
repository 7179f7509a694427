package cli

import (
	"net"
	"testing"
)

// TestLimitListener: a held connection takes a slot; closing it (twice
// is harmless) gives the slot back, and the next connection is accepted.
func TestLimitListener(t *testing.T) {
	t.Parallel()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := limitListener(inner, 1).(*limitedListener)
	defer ln.Close()
	for range 2 {
		client, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		if len(ln.slots) != 1 {
			t.Fatalf("%d slots taken while a connection is open, want 1", len(ln.slots))
		}
		c.Close()
		c.Close()
		client.Close()
		if len(ln.slots) != 0 {
			t.Fatalf("%d slots taken after the connection closed, want 0", len(ln.slots))
		}
	}
}
