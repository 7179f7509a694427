package cli

import (
	"slices"
	"strings"

	"github.com/ferrytool/ferry/transports"
)

// Which transports each command can use, for --help. The lists are kept by
// hand and checked against the transports themselves by
// TestTransportHelpTellsTheTruth, so help never offers what fails.
var (
	// notImplemented transports parse their names but can be neither read
	// nor written yet.
	notImplemented []string
	// sourceOnly transports can be read but not written.
	sourceOnly = []string{"tarball", "sif"}
	// deletable transports can delete an image in place (transport.Deleter).
	deletable = []string{"docker", "containers-storage"}
)

// transportsExcept lists ferry's transports without those in the lists.
func transportsExcept(lists ...[]string) string {
	var out []string
	for _, n := range transports.Names() {
		if !slices.ContainsFunc(lists, func(l []string) bool { return slices.Contains(l, n) }) {
			out = append(out, n)
		}
	}
	return strings.Join(out, ", ")
}

// notImplementedNote closes each list of transports, when some are not
// implemented.
func notImplementedNote() string {
	if len(notImplemented) == 0 {
		return ""
	}
	return "\n(" + strings.Join(notImplemented, ", ") + ": names are accepted, but the store cannot be read or written yet.)"
}

// copyTransportsHelp ends copy's long help.
func copyTransportsHelp() string {
	return "Source transports: " + transportsExcept(notImplemented) + "\n" +
		"Destination transports: " + transportsExcept(notImplemented, sourceOnly) + notImplementedNote()
}

// readTransportsHelp ends the long help of commands that read an image.
func readTransportsHelp() string {
	return "Supported transports: " + transportsExcept(notImplemented) + notImplementedNote()
}

// deleteTransportsHelp ends delete's long help.
func deleteTransportsHelp() string {
	return "Supported transports: " + strings.Join(deletable, ", ") + " (the others cannot delete an image in place)"
}
