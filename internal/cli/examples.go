package cli

import "github.com/spf13/cobra"

// examples are the --help examples of the commands whose definitions do
// not carry their own (cobra's Example field); addExamples fills them in,
// so every command shows at least one.
var examples = map[string]string{
	"ferry cache list": `  ferry cache list
  ferry cache list --blob-cache /srv/ferry-blobs`,
	"ferry cache clear": `  ferry cache clear
  ferry cache clear --blob-cache /srv/ferry-blobs`,
	"ferry standalone-sign": `  ferry standalone-sign manifest.json registry.example.com/app:1 0123456789ABCDEF -o signature-1
  ferry standalone-sign --passphrase-file pass.txt manifest.json registry.example.com/app:1 0123456789ABCDEF -o sig`,
	"ferry standalone-verify": `  ferry standalone-verify manifest.json registry.example.com/app:1 0123456789ABCDEF signature-1
  ferry standalone-verify --public-key-file key.gpg manifest.json registry.example.com/app:1 any signature-1`,
	"ferry untrusted-signature-dump-without-verification": `  ferry untrusted-signature-dump-without-verification signature-1`,
}

// addExamples sets the examples above on commands that have none.
func addExamples(c *cobra.Command) {
	if c.Example == "" {
		c.Example = examples[c.CommandPath()]
	}
	for _, sub := range c.Commands() {
		addExamples(sub)
	}
}
