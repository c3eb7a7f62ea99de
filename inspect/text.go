package inspect

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// TextWidth is the width, in terminal columns, that [Inspection.WriteText]
// keeps every line within.
const TextWidth = 80

// Layout of the text rendering, in columns.
const (
	indent     = 2
	labelWidth = 12 // summary labels
	nameWidth  = 21 // parameter names
	gap        = 1
)

// WriteText writes the inspection for a terminal: a summary, the table of
// parameters and the findings, every line at most [TextWidth] columns.
// Text from the URL is written with its control and formatting characters
// escaped (\x1b, \u202e), so that a URL cannot drive the terminal.
func (in *Inspection) WriteText(w io.Writer) error { return writeLines(w, in.TextLines()) }

// writeLines writes each line and a newline, buffered.
func writeLines(w io.Writer, lines []string) error {
	b := bufio.NewWriter(w)
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.Flush()
}

// TextLines returns the lines [Inspection.WriteText] writes.
func (in *Inspection) TextLines() []string {
	var out []string
	out = append(out, wrap(printable(in.headline()), TextWidth)...)
	out = append(out, "")

	field := func(label, value string) {
		lines := wrap(printable(value), TextWidth-indent-labelWidth-gap)
		for i, l := range lines {
			lab := ""
			if i == 0 {
				lab = label
			}
			out = append(out, strings.TrimRight(pad(indent)+padRight(lab, labelWidth)+pad(gap)+l, " "))
		}
	}
	field("Status", in.statusText())
	op := in.Operation
	if op == "" {
		op = "unknown"
	}
	method := in.Method
	if method == "" {
		method = "method unknown"
	}
	field("Operation", op+" ("+method+", "+methodSourceText(in.MethodSource)+")")
	field("Endpoint", printable(in.Endpoint))
	field("Addressing", in.addressingText())
	field("Bucket", orText(printable(in.Bucket), "(none)"))
	field("Key", orText(printable(in.Key), "(none: the URL names the bucket)"))
	field("Signed by", in.AccessKeyID+keyKindText[in.KeyKind])
	if in.sigV2() {
		field("Signature", "Signature Version 2 (legacy); a SigV2 URL does not say when it was signed")
		field("Expires at", fmtTime(in.ExpiresAt))
	} else {
		field("Signed at", fmtTime(in.SignedAt))
		field("Expires at", fmtTime(in.ExpiresAt)+" ("+fmtDuration(in.Lifetime())+" after signing)")
	}

	out = append(out, "", "Parameters")
	valueWidth := TextWidth - indent - nameWidth - gap
	for _, p := range in.Params {
		name := printable(p.Name)
		rows := wrap(orText(printable(p.Value), `""`), valueWidth)
		rows = append(rows, wrap(printable(p.Meaning), valueWidth)...)
		first := 0
		if width(name) > nameWidth {
			for _, l := range wrap(name, TextWidth-indent) {
				out = append(out, pad(indent)+l)
			}
		} else {
			out = append(out, strings.TrimRight(pad(indent)+padRight(name, nameWidth)+pad(gap)+rows[0], " "))
			first = 1
		}
		for _, r := range rows[first:] {
			out = append(out, strings.TrimRight(pad(indent+nameWidth+gap)+r, " "))
		}
	}

	if len(in.Findings) > 0 {
		out = append(out, "", "Findings")
		const tag = 9
		for _, f := range in.Findings {
			label := map[Severity]string{SeverityError: "ERROR", SeverityWarning: "WARNING", SeverityInfo: "NOTE"}[f.Severity]
			lines := wrap(printable(f.Message)+" ["+string(f.Code)+"]", TextWidth-indent-tag)
			for i, l := range lines {
				lab := ""
				if i == 0 {
					lab = label
				}
				out = append(out, pad(indent)+padRight(lab, tag)+l)
			}
		}
	}
	return out
}

// headline is the first line: the operation, the object and the verdict.
func (in *Inspection) headline() string {
	what := or(in.Operation, "a request")
	target := printable(in.Bucket)
	if in.Key != "" {
		target += "/" + printable(in.Key)
	}
	return what + " on " + orText(target, "no bucket") + ": " + in.verdict()
}

// verdict sums up the status in a few words.
func (in *Inspection) verdict() string {
	switch in.Status {
	case StatusExpired:
		return "expired " + fmtDuration(in.Now.Sub(in.ExpiresAt)) + " ago"
	case StatusNotYetValid:
		return "not valid yet"
	case StatusWillFail:
		return "will fail (see the findings)"
	}
	return "ok, expires in " + fmtDuration(in.ExpiresAt.Sub(in.Now))
}

func (in *Inspection) statusText() string {
	s := in.verdict()
	switch in.Status {
	case StatusOK:
		s += ", at " + fmtTime(in.ExpiresAt)
	case StatusWillFail:
		s = "will fail: see the findings"
	case StatusExpired:
		s += ", at " + fmtTime(in.ExpiresAt)
	case StatusNotYetValid:
		s += ": signed " + fmtDuration(in.SignedAt.Sub(in.Now)) + " ahead"
	}
	return s + "; now is " + fmtTime(in.Now)
}

func methodSourceText(src string) string {
	switch src {
	case MethodGiven:
		return "as given"
	case MethodFromXID:
		return "from x-id"
	case MethodFromSubres:
		return "from the sub-resources"
	case MethodAssumed:
		return "assumed: nothing in the URL says"
	}
	return "give it to be sure"
}

var keyKindText = map[string]string{"long-term": ", a long-term key", "temporary": ", temporary credentials"}

var endpointNames = map[EndpointKind]string{
	EndpointRegional:    "AWS regional endpoint",
	EndpointGlobal:      "AWS global endpoint",
	EndpointLegacy:      "AWS legacy endpoint",
	EndpointDualStack:   "AWS dual-stack endpoint",
	EndpointFIPS:        "AWS FIPS endpoint",
	EndpointAccelerate:  "S3 Transfer Acceleration",
	EndpointAccessPoint: "S3 access point",
	EndpointWebsite:     "S3 website endpoint",
	EndpointAWSOther:    "an AWS host presign does not know",
	EndpointCustom:      "custom endpoint",
}

func (in *Inspection) addressingText() string {
	s := string(in.Addressing)
	if in.Addressing == AddressingPath {
		s = "path-style"
	}
	s += " (" + endpointNames[in.EndpointKind]
	if in.HostRegion != "" {
		s += ", region " + in.HostRegion
	}
	s += ")"
	if in.AddressingAssumed {
		s += "; assumed: a custom host does not say where the bucket is"
	}
	return s
}

func orText(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

func pad(n int) string { return strings.Repeat(" ", n) }

// padRight pads s with spaces to n columns.
func padRight(s string, n int) string {
	if w := width(s); w < n {
		return s + pad(n-w)
	}
	return s
}

// printable escapes what a terminal would act on or hide: control
// characters, invalid UTF-8, and formatting characters such as the
// bidirectional overrides. Other text is kept.
func printable(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || !safeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case safeRune(r):
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x10000:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
		i += size
	}
	return b.String()
}

func safeRune(r rune) bool {
	return r == ' ' || unicode.IsPrint(r) && !unicode.Is(unicode.Cf, r)
}

// width returns the columns s takes in a terminal: wide East Asian
// characters and emoji take two, combining marks none. It errs towards
// wide, so that a line it measures as fitting does fit.
func width(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

func runeWidth(r rune) int {
	switch {
	case r < 0x300:
		return 1
	case unicode.In(r, unicode.Mn, unicode.Me):
		return 0
	case wide(r):
		return 2
	}
	return 1
}

// wideRanges are the East Asian Wide and Fullwidth blocks and the emoji
// blocks, taken broadly.
var wideRanges = [][2]rune{
	{0x1100, 0x115f}, {0x231a, 0x231b}, {0x2329, 0x232a}, {0x23e9, 0x23f3}, {0x25fd, 0x25fe},
	{0x2600, 0x27bf}, {0x2b1b, 0x2b1c}, {0x2b50, 0x2b55}, {0x2e80, 0x303e}, {0x3041, 0x33ff},
	{0x3400, 0x4dbf}, {0x4e00, 0x9fff}, {0xa000, 0xa4cf}, {0xa960, 0xa97f}, {0xac00, 0xd7a3},
	{0xf900, 0xfaff}, {0xfe10, 0xfe19}, {0xfe30, 0xfe6f}, {0xff00, 0xff60}, {0xffe0, 0xffe6},
	{0x16fe0, 0x16fe4}, {0x17000, 0x18aff}, {0x1b000, 0x1b2ff}, {0x1f000, 0x1faff},
	{0x20000, 0x2fffd}, {0x30000, 0x3fffd},
}

func wide(r rune) bool {
	for _, rg := range wideRanges {
		if r < rg[0] {
			return false
		}
		if r <= rg[1] {
			return true
		}
	}
	return false
}

// wrap breaks s into lines of at most w columns, at spaces where it can
// and inside words longer than a line.
func wrap(s string, w int) []string {
	var lines []string
	var cur strings.Builder
	curW := 0
	flush := func() {
		lines = append(lines, cur.String())
		cur.Reset()
		curW = 0
	}
	for _, word := range strings.Split(s, " ") {
		ww := width(word)
		if curW > 0 && curW+1+ww > w {
			flush()
		}
		if curW > 0 {
			cur.WriteByte(' ')
			curW++
		}
		for ww > w-curW && ww > 0 {
			// Hard-break a word longer than the rest of the line.
			take, tw := 0, 0
			for _, r := range word {
				rw := runeWidth(r)
				if curW+tw+rw > w {
					break
				}
				take += utf8.RuneLen(r)
				tw += rw
			}
			// Prefer to break after a separator in the second half.
			if take < len(word) {
				if i := strings.LastIndexAny(word[:take], "/&;,="); i >= take/2 && i+1 < take {
					take = i + 1
					tw = width(word[:take])
				}
			}
			if take == 0 && curW == 0 {
				_, take = utf8.DecodeRuneInString(word)
				tw = runeWidth([]rune(word[:take])[0])
			}
			cur.WriteString(word[:take])
			curW += tw
			word = word[take:]
			ww = width(word)
			flush()
		}
		cur.WriteString(word)
		curW += ww
	}
	if cur.Len() > 0 || len(lines) == 0 {
		flush()
	}
	return lines
}
