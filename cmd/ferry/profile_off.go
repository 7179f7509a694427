//go:build !ferryprofile

package main

// startProfiles does nothing in a normal build. The profilers live in a
// build with the ferryprofile tag (profile_on.go): linking runtime/pprof
// keeps Go's heap profiling on, which samples allocations from the first
// package init on, each sample a walk of the stack whose function tables
// the process then keeps mapped; without it the runtime switches heap
// profiling off before anything is allocated, and the binary is 0.3 MB
// smaller.
func startProfiles() func() { return func() {} }
