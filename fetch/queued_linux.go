package fetch

import (
	"crypto/tls"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// socketQueue tells how many bytes wait unread in a connection's socket
// receive queue (SIOCINQ). Its zero value, or nil, knows nothing.
type socketQueue struct {
	raw syscall.RawConn
	ask func(fd uintptr) // made once: a probe per Read allocates nothing
	n   int
	err error
}

func newSocketQueue(c net.Conn) *socketQueue {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	q := &socketQueue{raw: raw}
	q.ask = func(fd uintptr) { q.n, q.err = unix.IoctlGetInt(int(fd), unix.SIOCINQ) }
	return q
}

// bytes is the queue's length; known is false when it cannot be told.
// Calls must not overlap (the meter's lock serialises them).
func (q *socketQueue) bytes() (n int, known bool) {
	if q == nil {
		return 0, false
	}
	if err := q.raw.Control(q.ask); err != nil || q.err != nil {
		return 0, false
	}
	return q.n, true
}
