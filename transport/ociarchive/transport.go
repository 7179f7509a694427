// Package ociarchive is the oci-archive: transport: an OCI image layout
// packed in one tar file, read and written as a stream without extracting
// it to a temporary directory. "-" is stdin or stdout. The layout's rules
// (index.json, ref names, the PATH[:REF] grammar) are internal/ocilayout.
package ociarchive

import (
	"github.com/ferrytool/ferry/internal/ocilayout"
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
	n, err := ocilayout.ParseName("oci-archive", "/tmp/app.tar:1", s)
	if err != nil {
		return nil, err
	}
	return &Reference{Name: n}, nil
}
