package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"text/tabwriter"
	"text/template"

	"github.com/ferrytool/ferry/errdefs"
)

// writeJSON prints v as skopeo does: json.MarshalIndent with four spaces
// (HTML characters escaped, as encoding/json does by default), then a
// newline.
func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "    ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// jsonFormat matches the --format values that mean "the whole document as
// JSON": "json" and "{{json .}}", as containers/common's report.IsJSON.
var jsonFormat = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*(json|\{\{\s*json\s*\.\s*\}\})\s*$`) })

// writeFormatted prints v as JSON when format is empty or asks for JSON,
// else through the Go template format. As skopeo (containers/common's
// report package), a literal `\t` or `\n` in the format becomes a tab or a
// newline, a final newline is added when missing, and tabs align columns.
func writeFormatted(w io.Writer, format string, v any) error {
	if format == "" || jsonFormat().MatchString(format) {
		return writeJSON(w, v)
	}
	text := strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(strings.TrimPrefix(format, "table "))
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	t, err := template.New("format").Funcs(templateFuncs).Parse(text)
	if err != nil {
		return fmt.Errorf("%w: --format: %v", errdefs.ErrInvalidArgument, err)
	}
	tw := tabwriter.NewWriter(w, 12, 2, 2, ' ', 0)
	if err := t.Execute(tw, v); err != nil {
		return fmt.Errorf("%w: --format: %v", errdefs.ErrInvalidArgument, err)
	}
	return tw.Flush()
}

// templateFuncs are the functions Docker and podman templates offer.
var templateFuncs = template.FuncMap{
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	"join":  strings.Join,
	"split": strings.Split,
	"lower": strings.ToLower,
	"upper": strings.ToUpper,
	"title": func(s string) string {
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + s[1:]
	},
}
