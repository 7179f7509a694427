//go:build !linux

package fetch

import "net"

// socketQueue cannot tell a socket's receive queue here (see
// queued_linux.go): the meter falls back to whether a Read filled its
// buffer.
type socketQueue struct{}

func newSocketQueue(net.Conn) *socketQueue { return nil }

func (*socketQueue) bytes() (int, bool) { return 0, false }
