//go:build linux

package fetch

import (
	"io"
	"net"
	"testing"
	"time"
)

// tcpPair is a connected pair of loopback TCP connections.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// waitQueued waits until at least n bytes sit in c's receive queue.
func waitForQueue(t *testing.T, c net.Conn, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if q, ok := newSocketQueue(c).bytes(); ok && q >= n {
			return
		}
	}
	t.Fatalf("fewer than %d bytes ever queued", n)
}

// TestLinkMeterReaderLate: bytes that were queued before the reader got to
// them (it was held up: a busy CPU, the scheduler) do not count as time
// waited on the link, so a fast link reads as fast however late the
// reader is; bytes the reader had to wait for do count, so a trickle
// reads as slow.
func TestLinkMeterReaderLate(t *testing.T) {
	t.Parallel()
	client, server := tcpPair(t)
	m := &linkMeter{queue: newSocketQueue(client)}
	buf := make([]byte, 64<<10)

	// A fast link: 2 MiB there at once, of which the reader takes 1 MiB,
	// 50 ms late to each of its reads (the delay falls inside the meter's wait, as a
	// goroutine made runnable but not yet run would).
	go server.Write(make([]byte, 2<<20))
	waitForQueue(t, client, 32<<10)
	for got := 0; got < 1<<20; {
		m.begin()
		time.Sleep(50 * time.Millisecond)
		n, err := client.Read(buf)
		m.end(n, len(buf))
		if err != nil {
			t.Fatal(err)
		}
		got += n
	}
	rate, ok := m.rate(DefaultLinkProbe)
	if !ok || rate < DefaultFastRate {
		t.Errorf("late reader on a fast link: rate %.0f B/s (ok %v), want at least %d", rate, ok, DefaultFastRate)
	}

	// A trickle: 4 KiB every 20 ms, read as it comes.
	slow := &linkMeter{queue: newSocketQueue(client)}
	io.CopyN(io.Discard, client, int64(2<<20)-int64(m.bytes)) // what is left of the fast part
	go func() {
		for range 50 {
			if _, err := server.Write(make([]byte, 4<<10)); err != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	for got := 0; got < 40*4<<10; {
		slow.begin()
		n, err := client.Read(buf)
		slow.end(n, len(buf))
		if err != nil {
			t.Fatal(err)
		}
		got += n
	}
	rate, ok = slow.rate(50 * time.Millisecond)
	if !ok || rate >= DefaultFastRate {
		t.Errorf("trickle: rate %.0f B/s (ok %v), want a verdict below %d", rate, ok, DefaultFastRate)
	}
}
