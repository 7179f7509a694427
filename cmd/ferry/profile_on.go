//go:build ferryprofile

package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// startProfiles starts the profiles that FERRY_CPUPROFILE and
// FERRY_MEMPROFILE name (files written when the command ends, read with
// `go tool pprof`): for finding where a copy spends its time and memory
// (the benchmark's scenarios, see the README's Benchmark section). The returned func
// writes them; a profile that cannot be written is reported on stderr and
// does not change the command's outcome. Only a build with the
// ferryprofile tag has them (see profile_off.go).
func startProfiles() func() {
	cpu, mem := os.Getenv("FERRY_CPUPROFILE"), os.Getenv("FERRY_MEMPROFILE")
	if mem == "" {
		runtime.MemProfileRate = 0
	}
	if cpu == "" && mem == "" {
		return func() {}
	}
	var cpuFile *os.File
	if cpu != "" {
		f, err := os.Create(cpu)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "ferry: FERRY_CPUPROFILE: %v\n", err)
		} else {
			cpuFile = f
		}
	}
	return func() {
		if cpuFile != nil {
			pprof.StopCPUProfile()
			if err := cpuFile.Close(); err != nil {
				fmt.Fprintf(os.Stderr, "ferry: FERRY_CPUPROFILE: %v\n", err)
			}
		}
		if mem == "" {
			return
		}
		runtime.GC() // the heap profile's in-use figures as of the last GC
		f, err := os.Create(mem)
		if err == nil {
			err = pprof.Lookup("allocs").WriteTo(f, 0)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "ferry: FERRY_MEMPROFILE: %v\n", err)
		}
	}
}
