// Command mksample writes ferry's sample image into an OCI layout: a small
// (a few KB) two-platform OCI index, linux/amd64 and linux/arm64, tagged
// "latest", built deterministically by internal/testimage and stored with
// the oci: transport. testdata/sample is its output:
//
//	rm -rf testdata/sample && go run ./internal/mksample testdata/sample
//
// and a test checks that regenerating it gives the same bytes.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/ferrytool/ferry/internal/ocilayout"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport/layout"
)

// sampleRef is the reference name the sample image has in its layout.
const sampleRef = "latest"

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run ./internal/mksample DIR")
		os.Exit(2)
	}
	if err := generate(context.Background(), os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "mksample:", err)
		os.Exit(1)
	}
}

// generate writes the sample index and its two images into the OCI layout
// at dir as dir:latest, creating the layout if needed.
func generate(ctx context.Context, dir string) error {
	ix := testimage.NewIndex(false,
		manifest.Platform{OS: "linux", Architecture: "amd64"},
		manifest.Platform{OS: "linux", Architecture: "arm64"},
	)
	dst, err := layout.OpenDestination(ctx, &layout.Reference{Name: ocilayout.Name{Path: dir, Ref: sampleRef, Index: -1}}, nil)
	if err != nil {
		return err
	}
	defer dst.Close()
	return ix.Write(ctx, dst)
}
