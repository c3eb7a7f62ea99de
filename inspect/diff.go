package inspect

// The ops of a [DiffLine].
const (
	DiffSame  = "same"  // in both
	DiffS3    = "s3"    // only in what S3 computed
	DiffLocal = "local" // only in what was computed here
)

// DiffLine is one line of a line diff between S3's text and the one
// computed here.
type DiffLine struct {
	// Op is "same", "s3" (only S3's) or "local" (only ours).
	Op string `json:"op"`
	// Text is the line.
	Text string `json:"text"`
}

// Diff compares what S3 computed with what was computed here.
type Diff struct {
	// S3 is S3's text.
	S3 string `json:"s3"`
	// Local is the text computed here.
	Local string `json:"local"`
	// Folded is true when S3's text had lost its line breaks (copied from a
	// browser), so that the texts were compared word by word.
	Folded bool `json:"folded,omitempty"`
	// Lines is the diff, S3's lines before ours where they differ.
	Lines []DiffLine `json:"lines"`
}

// Equal reports whether the two texts are the same.
func (d *Diff) Equal() bool {
	for _, l := range d.Lines {
		if l.Op != DiffSame {
			return false
		}
	}
	return true
}

// diffLines returns a shortest edit script turning a into b, as lines: the
// longest common subsequence kept, a's other lines as DiffS3, b's as
// DiffLocal. The texts compared are a few dozen lines, so the quadratic
// table is small; it is bounded all the same.
func diffLines(a, b []string) []DiffLine {
	const maxCells = 1 << 20
	if (len(a)+1)*(len(b)+1) > maxCells {
		var out []DiffLine
		for _, l := range a {
			out = append(out, DiffLine{DiffS3, l})
		}
		for _, l := range b {
			out = append(out, DiffLine{DiffLocal, l})
		}
		return out
	}
	// lcs[i][j] is the length of the LCS of a[i:] and b[j:].
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []DiffLine
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			out = append(out, DiffLine{DiffSame, a[i]})
			i++
			j++
		case lcs[i+1][j] >= lcs[i][j+1]:
			out = append(out, DiffLine{DiffS3, a[i]})
			i++
		default:
			out = append(out, DiffLine{DiffLocal, b[j]})
			j++
		}
	}
	for ; i < len(a); i++ {
		out = append(out, DiffLine{DiffS3, a[i]})
	}
	for ; j < len(b); j++ {
		out = append(out, DiffLine{DiffLocal, b[j]})
	}
	return out
}
