package inspect

import (
	"io"
	"strings"
)

// WriteText writes the diagnosis for a terminal: what S3 said, the likely
// causes, S3's details, and the diffs of the canonical request and string
// to sign ("-" for S3's lines, "+" for the ones computed here). Prose is
// wrapped at [TextWidth] columns; the diffed lines are written whole, with
// control characters escaped.
func (d *Diagnosis) WriteText(w io.Writer) error { return writeLines(w, d.TextLines()) }

// TextLines returns the lines [Diagnosis.WriteText] writes.
func (d *Diagnosis) TextLines() []string {
	var out []string
	who := or(d.From, "S3")
	para := func(prefix, text string) {
		for i, l := range wrap(printable(text), TextWidth-width(prefix)) {
			if i == 0 {
				out = append(out, prefix+l)
			} else {
				out = append(out, pad(width(prefix))+l)
			}
		}
	}
	para(who+" said: ", string(d.Code)+": "+d.Message)
	out = append(out, "")
	para("Likely cause: ", d.Causes[0].Message+" ["+string(d.Causes[0].Code)+"]")
	if len(d.Causes) > 1 {
		out = append(out, "Other possible causes:")
		for _, c := range d.Causes[1:] {
			para("  - ", c.Message+" ["+string(c.Code)+"]")
		}
	}
	if d.Received != "" {
		para(who+" received: ", d.Received)
	}
	if len(d.Details) > 0 {
		out = append(out, "", "Details:")
		for _, f := range d.Details {
			para("  "+padRight(printable(f.Name), 26)+" ", orText(printable(f.Value), `""`))
		}
	}
	diff := func(title string, df *Diff) {
		if df == nil {
			return
		}
		out = append(out, "")
		if df.Local == "" {
			out = append(out, title+", as "+who+" computed it:")
		} else if df.Equal() {
			out = append(out, title+": "+who+"'s and the one computed here are the same:")
		} else {
			out = append(out, title+" (- as "+who+" computed it, + as computed here):")
		}
		if df.Folded {
			out = append(out, "  ("+who+"'s lost its line breaks: compared word by word)")
		}
		for _, l := range df.Lines {
			mark := "  "
			switch l.Op {
			case DiffS3:
				mark = "- "
			case DiffLocal:
				mark = "+ "
			}
			if df.Local == "" {
				mark = "  "
			}
			out = append(out, strings.TrimRight(mark+printable(l.Text), " "))
		}
	}
	diff("Canonical request", d.CanonicalRequest)
	diff("String to sign", d.StringToSign)
	if len(d.Notes) > 0 {
		out = append(out, "", "Notes:")
		for _, n := range d.Notes {
			para("  - ", n)
		}
	}
	return out
}
