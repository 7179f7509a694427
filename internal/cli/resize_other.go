//go:build !unix

package cli

// watchResize: without SIGWINCH the bars follow a resize at their next
// redraw, when they ask the terminal's width again.
func watchResize() (<-chan struct{}, func()) { return nil, func() {} }
