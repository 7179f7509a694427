// Package ociarchive is the oci-archive: transport: an OCI image layout
// packed in one tar file, read and written as a stream without extracting
// it to a temporary directory. "-" is stdin or stdout.
package ociarchive

import (
	"fmt"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/transport"
)

// Transport is the oci-archive: transport.
var Transport transport.Transport = archiveTransport{}

type archiveTransport struct{}

func (archiveTransport) Name() string { return "oci-archive" }

// ParseReference parses "PATH[:REF]" or "PATH:@N".
func (archiveTransport) ParseReference(s string) (transport.Reference, error) {
	return ParseReference(s)
}

// ParseReference parses "PATH[:REF]" or "PATH:@N".
func ParseReference(s string) (*Reference, error) {
	path, ref := transport.SplitPathAndRef(s)
	if path == "" {
		return nil, fmt.Errorf("%w: oci-archive: a path is required, as in oci-archive:/tmp/app.tar:1", errdefs.ErrInvalidReference)
	}
	r := &Reference{Path: path, Ref: ref, Index: -1}
	if n, ok, err := transport.ParseSourceIndex(ref); ok {
		if err != nil {
			return nil, err
		}
		r.Ref, r.Index = "", n
		return r, nil
	}
	if ref != "" {
		if err := transport.ValidateOCIRefName(ref); err != nil {
			return nil, err
		}
	}
	return r, nil
}
