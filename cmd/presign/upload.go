package main

import (
	"time"

	"golang.org/x/time/rate"

	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/presign-dev/presign/postpolicy"
	"github.com/presign-dev/presign/sigv4"
)

const uploadUsage = `Usage: presign upload FILE URL [flags]
       presign upload FILE --json FILE|-
       presign upload FILE --form FILE|-
       presign upload FILE --api URL

Uploads FILE through a presigned URL or a presigned POST form, streaming it
(the file is never held in memory), with a progress bar on standard error
when it is a terminal. Flags may come before or after the arguments.

With a URL, the upload is a PUT with the headers the URL was signed with:
give them with --header, or take them all from the JSON of "presign url
--output json" (or the issuer API's upload answer) with --json. With --form,
the upload is a POST of the form's fields, in order, then the file, as
multipart/form-data, from the JSON of "presign post --output json" (or the
API's POST answer); a JSON with "fields" given to --json is a form too. The
request's Content-Length is always exact.

When storage refuses the upload, S3's error and its explanation (as
"presign diagnose" gives it) are printed on standard error.

Flags:
  --header K=V         a header the URL was signed with (repeatable)
  --content-type T     the Content-Type; default: the JSON's, else guessed from
                       FILE's extension unless the URL signs it. With a form,
                       adds the Content-Type field if the form has none
  --json FILE          the presigned request as JSON, - for standard input:
                       {"method", "url", "headers"} or {"url", "fields"}
  --form FILE          the presigned POST form as JSON, - for standard input
  --checksum-sha256    check FILE's SHA-256 against the x-amz-checksum-sha256 the
                       URL or form was signed with before uploading (the URL
                       must sign one; a URL that signs the header without a
                       value given gets FILE's)
  --retries N          retries after a network error or a 5xx answer; default 5
  --quiet              no progress bar
  --limit-rate R       send at most R bytes a second, such as 20MiB

Through presign serve (the service makes the URL, under its policy):
  --api URL            the service's address, such as http://127.0.0.1:8080; the
                       API key comes from PRESIGN_API_KEY or --api-key-file
  --api-key-file F     the file the API key is in (- for standard input)
  --parallel N         parts sent at once in a multipart upload; default 4
  A file the service says is too large for one request goes in parts, with
  one progress bar; an interrupted multipart upload is resumed by the same
  command (its state is kept in the user's cache directory, and the service
  lists the parts storage holds). The output line names the object's key.

Output: one line on standard output, where the object went and its ETag.

Exit status: 0 when uploaded, 1 when storage refused the upload or it
failed, 2 for a wrong command line.

Examples:
  presign upload cat.jpg "$URL" --header content-type=image/jpeg
  presign url PUT s3://uploads/cat.jpg --content-type image/jpeg --output json | presign upload cat.jpg --json -
  presign post s3://uploads/'${filename}' --max-size 10MiB | presign upload report.pdf --form -
`

// uploadCommand is "presign upload": it uploads a file through a
// presigned URL or POST form.
type uploadCommand struct{ transfer }

func newUploadCommand(s streams) command { return &uploadCommand{newTransfer(s)} }

// uploadPlan is a validated upload: what to send where.
type uploadPlan struct {
	method string // PUT or POST
	url    string
	header http.Header // PUT
	host   string      // a Host header other than the URL's, if signed so
	fields postpolicy.Fields
	// file, its name (for a form's ${filename}) and size.
	file *os.File
	name string
	size int64
	// key is the object's key, when the service chose it (--api).
	key string
}

// Run parses args and uploads.
func (c *uploadCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("upload")
	var headerFlags listFlag
	fs.Var(&headerFlags, "header", "")
	contentType := fs.String("content-type", "", "")
	jsonFile := fs.String("json", "", "")
	formFile := fs.String("form", "", "")
	checksum := fs.Bool("checksum-sha256", false, "")
	var tf transferFlags
	tf.register(fs)
	parallelFlag := fs.Int("parallel", 4, "")
	pos, set, err := parseCommand("upload", uploadUsage, fs, args, c.stdout)
	if err != nil {
		return err
	}
	retries, err := tf.parse(&c.transfer)
	if err != nil {
		return err
	}
	if set["api"] {
		return c.runAPI(ctx, &tf, pos, set, *contentType, retries, *parallelFlag, tf.quiet)
	}
	if set["api-key-file"] || set["parallel"] {
		return usageErrorf("add --api URL: the service makes the upload's URLs", "--api-key-file and --parallel go with --api")
	}
	headers, err := parseHeaders(headerFlags)
	if err != nil {
		return err
	}

	// Where the request comes from: a URL argument, or a JSON document.
	var doc *transferDoc
	switch {
	case len(pos) == 0:
		return usageErrorf("give the file to upload and the presigned URL: presign upload FILE URL", "missing the FILE argument")
	case set["json"] && set["form"]:
		return usageErrorf("give one of the two", "--json and --form both give the request")
	case set["json"] || set["form"]:
		if len(pos) > 1 {
			return usageErrorf("give FILE and the JSON, or FILE and the URL", "the URL comes from the JSON already: too many arguments (%d)", len(pos))
		}
		flagName, name := "json", *jsonFile
		if set["form"] {
			flagName, name = "form", *formFile
		}
		if doc, err = c.readDoc(flagName, name); err != nil {
			return err
		}
		if set["form"] && doc.Fields == nil {
			return usageErrorf("give the JSON of presign post --output json, or use --json for a URL",
				"the --form JSON has no \"fields\"")
		}
	case len(pos) == 1:
		return usageErrorf("give the presigned URL in quotes after the file, or the JSON of presign url with --json",
			"missing the URL argument")
	case len(pos) > 2:
		return usageErrorf("give FILE and one URL, in quotes: an unquoted & or space splits it", "too many arguments (%d)", len(pos))
	default:
		raw, err := urlArg(pos[1:], c.stdin)
		if err != nil {
			return err
		}
		doc = &transferDoc{URL: raw}
	}
	if pos[0] == "-" {
		return usageErrorf("save the data to a file and give its name: S3 needs the length before the upload",
			"cannot upload standard input")
	}

	p, err := planUpload(doc, headers, set["content-type"], *contentType)
	if err != nil {
		return err
	}
	f, fi, err := openUpload(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	p.file, p.name, p.size = f, filepath.Base(pos[0]), fi.Size()
	if err := p.checkForm(set["content-type"]); err != nil {
		return err
	}
	if err := p.check(*checksum); err != nil {
		return err
	}
	return c.upload(ctx, p, retries, tf.quiet)
}

// openUpload opens the file to upload: a regular file, whose size is
// known before the upload.
func openUpload(path string) (*os.File, os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, &cliError{msg: "cannot read " + path + ": " + errText(err), hint: "give the path of the file to upload", err: err}
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, failf("%s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, usageErrorf("give a regular file: its size must be known before the upload", "%s is not a regular file", path)
	}
	return f, fi, nil
}

// errText is an error of the os package without the path it repeats.
func errText(err error) string {
	if u := errors.Unwrap(err); u != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return u.Error()
		}
	}
	return err.Error()
}

// transferDoc is a presigned request as JSON: what "presign url --output
// json" and "presign post --output json" print, and the issuer API's
// upload answers. Unknown members are refused.
type transferDoc struct {
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers"`
	Fields    *orderedFields    `json:"fields"`
	ExpiresAt string            `json:"expiresAt"`
	ExpiresIn *int64            `json:"expiresIn"`
	Key       string            `json:"key"`
	// Error is the API's refusal, when the document is one: shown as the
	// API worded it.
	Error json.RawMessage `json:"error"`
}

// orderedFields are a JSON object's string members in document order: S3
// reads a form's fields in the order they come.
type orderedFields postpolicy.Fields

func (f *orderedFields) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errors.New("\"fields\" is not an object")
	}
	*f = orderedFields{}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return err
		}
		var v string
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("the field %q is not a string", k)
		}
		*f = append(*f, postpolicy.Field{Name: k.(string), Value: v})
	}
	return nil
}

// readLimited reads the file at path, or stdin for "-", up to one byte
// more than limit, so that the caller can tell a larger input; it also
// returns the source's name to show. A file that cannot be opened is an
// *os.PathError.
func readLimited(path string, stdin io.Reader, limit int) ([]byte, string, error) {
	r, src := stdin, "standard input"
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, path, err
		}
		defer f.Close()
		r, src = f, path
	}
	b, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, src, failf("reading %s: %w", src, err)
	}
	return b, src, nil
}

// maxDoc bounds the JSON read: a form is a few kilobytes.
const maxDoc = 1 << 20

// readDoc reads the JSON of --json or --form from the file name, or
// standard input for "-".
func (c *uploadCommand) readDoc(flagName, name string) (*transferDoc, error) {
	docHint := "give the JSON of presign url --output json, presign post --output json or the API's upload answer"
	b, src, err := readLimited(name, c.stdin, maxDoc)
	var pe *os.PathError
	if errors.As(err, &pe) {
		return nil, usageErrorf(docHint, "cannot read --%s %s: %s", flagName, name, errText(err))
	}
	if err != nil {
		return nil, err
	}
	if len(b) > maxDoc {
		return nil, usageErrorf(docHint, "the --%s JSON in %s is over 1 MiB", flagName, src)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var doc transferDoc
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, usageErrorf(docHint, "the --%s JSON in %s is empty", flagName, src)
		}
		return nil, usageErrorf(docHint, "the --%s JSON in %s: %v", flagName, src, strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return nil, usageErrorf(docHint, "the --%s JSON in %s has more than one document", flagName, src)
	}
	if len(doc.Error) > 0 {
		ae := &apiError{}
		if json.Unmarshal(doc.Error, ae) != nil {
			ae = &apiError{}
			json.Unmarshal(doc.Error, &ae.Message) // {"error": "..."}, Companion's shape
		}
		if ae.Message == "" {
			ae.Message = string(doc.Error)
		}
		return nil, &cliError{msg: "the --" + flagName + " JSON is an error of the API, not a URL: " + printableName(ae.Message),
			hint: "the API's code: " + printableName(cmpOr(ae.Code, "none")) + "; fix the request it answered", err: ae}
	}
	if doc.URL == "" {
		return nil, usageErrorf(docHint, "the --%s JSON in %s has no \"url\"", flagName, src)
	}
	return &doc, nil
}

// planUpload builds the request from the document and the flags; it
// reads no file.
func planUpload(doc *transferDoc, flagHeaders []sigv4.Param, typeSet bool, contentType string) (*uploadPlan, error) {
	u, err := url.Parse(doc.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageErrorf("give the http(s) URL presign url or presign post made, in quotes", "%q is not an http(s) URL", shortName(doc.URL, 80))
	}
	if typeSet && contentType == "" {
		return nil, usageErrorf("give a media type such as image/png, or leave the flag out", "--content-type is empty")
	}
	p := &uploadPlan{url: doc.URL, method: strings.ToUpper(doc.Method)}
	if p.method == "" {
		p.method = "PUT"
		if doc.Fields != nil {
			p.method = "POST"
		}
	}
	switch p.method {
	case "PUT":
		if doc.Fields != nil {
			return nil, usageErrorf("give presign post's JSON for a form", "the JSON has \"fields\" but its method is PUT")
		}
	case "POST":
		if doc.Fields == nil {
			return nil, usageErrorf("give presign post's JSON, which has the form's fields", "the JSON's method is POST but it has no \"fields\"")
		}
	case "GET":
		return nil, usageErrorf("download with it: presign download URL", "the URL is for a GET, not an upload")
	default:
		return nil, usageErrorf("make an upload URL: presign url PUT s3://BUCKET/KEY, or presign post s3://BUCKET/KEY",
			"the URL is for a %s, not an upload", p.method)
	}

	if p.method == "POST" {
		if len(flagHeaders) > 0 {
			return nil, usageErrorf("a form upload sends its fields, not headers: remove --header", "--header does not apply to a form")
		}
		if len(doc.Headers) > 0 {
			return nil, usageErrorf("give presign post's JSON", "the form's JSON has \"headers\"")
		}
		p.fields = postpolicy.Fields(*doc.Fields)
		if typeSet {
			if v, ok := p.fields.Get("Content-Type"); ok && v != contentType {
				return nil, usageErrorf("the form was signed for "+v+": remove --content-type",
					"--content-type %s differs from the form's Content-Type field", contentType)
			} else if !ok {
				p.fields = append(p.fields, postpolicy.Field{Name: "Content-Type", Value: contentType})
			}
		}
		return p, nil
	}

	p.header = http.Header{}
	given := map[string]string{} // lower-case name → where it came from
	add := func(from, name, value string) error {
		ln := strings.ToLower(name)
		if prev, ok := given[ln]; ok {
			if old := p.headerValue(ln); old != value {
				return usageErrorf("give each header once, with the value the URL was signed with",
					"%s gives %s as %q, %s as %q", from, ln, value, prev, old)
			}
			return nil
		}
		given[ln] = from
		switch ln {
		case "host":
			p.host = value
		default:
			p.header[textproto.CanonicalMIMEHeaderKey(name)] = []string{value}
		}
		return nil
	}
	for _, name := range slices.Sorted(maps.Keys(doc.Headers)) {
		if err := add("the JSON", name, doc.Headers[name]); err != nil {
			return nil, err
		}
	}
	for _, h := range flagHeaders {
		if err := add("--header", h.Name, h.Value); err != nil {
			return nil, err
		}
	}
	if typeSet {
		if err := add("--content-type", "Content-Type", contentType); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *uploadPlan) headerValue(lower string) string {
	if lower == "host" {
		return p.host
	}
	return p.header.Get(lower)
}

// signedHeaders returns the X-Amz-SignedHeaders of a presigned URL, lower
// case; nil when the URL is not presigned.
func signedHeaders(u *url.URL) []string {
	for k, vs := range u.Query() {
		if strings.EqualFold(k, "X-Amz-SignedHeaders") && len(vs) > 0 {
			return strings.Split(strings.ToLower(vs[0]), ";")
		}
	}
	return nil
}

// queryValue returns the value of the query parameter name, in any case.
func queryValue(u *url.URL, name string) string {
	for k, vs := range u.Query() {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}

// checkForm checks a POST form against its own policy before the file is
// sent, as S3 will: a Content-Type the policy conditions and the form
// lacks is the file's (by extension, then by its first bytes); a condition
// on a field the form has, and content-length-range on the file's size,
// must hold, or the upload is refused naming the condition. A policy that
// does not parse is left to storage to judge.
func (p *uploadPlan) checkForm(typeGiven bool) error {
	if p.method != "POST" {
		return nil
	}
	b64, ok := p.fields.Get("policy")
	if !ok {
		return nil
	}
	pol, err := postpolicy.Parse(b64)
	if err != nil {
		return nil
	}
	for _, c := range pol.Conditions {
		if c.Op == postpolicy.OpContentLengthRange {
			if p.size < c.Min || p.size > c.Max {
				return &cliError{msg: fmt.Sprintf("%s is %s (%d bytes); the form's policy allows %d to %d bytes (%s)", printableName(p.name), formatBytes(p.size), p.size, c.Min, c.Max, c),
					hint: "storage would refuse it: upload a file within the range, or ask for a form that allows this size"}
			}
			continue
		}
		if strings.EqualFold(c.Field, "content-type") && !typeGiven {
			if _, has := p.fields.Get("content-type"); !has {
				p.fields = append(p.fields, postpolicy.Field{Name: "Content-Type", Value: fileType(p.file, p.name, "")})
			}
		}
		v, has := p.fields.Get(c.Field)
		if !has || strings.EqualFold(c.Field, "bucket") {
			continue // storage names a missing field; the bucket is the URL's
		}
		if strings.EqualFold(c.Field, "key") {
			v = strings.ReplaceAll(v, "${filename}", p.name)
		}
		if !c.Matches(v) {
			hint := "storage would refuse the upload: ask for a form that fits this file"
			if strings.EqualFold(c.Field, "content-type") {
				hint = "give --content-type with a type the policy allows"
			}
			return &cliError{msg: fmt.Sprintf("the form's policy condition %s fails: the %s field is %q", c, c.Field, printableName(v)), hint: hint}
		}
	}
	return nil
}

// check compares the plan with the file: the length and checksum the URL
// or form was signed with, and the signed headers without a value. With
// checksum it computes FILE's SHA-256, reading it once.
func (p *uploadPlan) check(checksum bool) error {
	u, _ := url.Parse(p.url)
	if p.method == "POST" {
		if !checksum {
			return nil
		}
		want, ok := p.fields.Get("x-amz-checksum-sha256")
		if !ok {
			return usageErrorf("the form must be signed with the checksum for S3 to check it; remove the flag",
				"--checksum-sha256: the form has no x-amz-checksum-sha256 field")
		}
		return p.compareChecksum(want, "the form")
	}

	signed := signedHeaders(u)
	if v := p.header.Get("Content-Length"); v != "" || slices.Contains(signed, "content-length") {
		p.header.Del("Content-Length")
		if v != "" && v != fmt.Sprint(p.size) {
			return &cliError{msg: fmt.Sprintf("the URL was signed for a Content-Length of %s bytes; %s has %d", v, p.name, p.size),
				hint: "upload the file the URL was made for, or sign a URL for this one"}
		}
	}
	if checksum {
		want := p.header.Get("X-Amz-Checksum-Sha256")
		if want == "" {
			want = queryValue(u, "x-amz-checksum-sha256")
		}
		switch {
		case want != "":
			if err := p.compareChecksum(want, "the URL"); err != nil {
				return err
			}
		case slices.Contains(signed, "x-amz-checksum-sha256"):
			sum, err := p.sha256()
			if err != nil {
				return err
			}
			p.header.Set("X-Amz-Checksum-Sha256", sum)
		default:
			return usageErrorf("S3 refuses an x-amz-checksum-sha256 header the URL does not sign: make one that does, with presign url PUT s3://BUCKET/KEY --checksum-sha256 FILE",
				"--checksum-sha256: the URL was not signed with a checksum")
		}
	}
	var missing []string
	for _, name := range signed {
		switch name {
		case "host", "content-length", "":
			continue
		}
		if _, ok := p.header[textproto.CanonicalMIMEHeaderKey(name)]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return usageErrorf("give each with --header NAME=VALUE, the value it was signed with, or pass the JSON of presign url --output json with --json",
			"the URL signs %s, which %s not given", strings.Join(missing, ", "), map[bool]string{true: "is", false: "are"}[len(missing) == 1])
	}
	if p.header.Get("Content-Type") == "" && !slices.Contains(signed, "content-type") {
		if t := mime.TypeByExtension(filepath.Ext(p.name)); t != "" {
			p.header.Set("Content-Type", t)
		}
	}
	return nil
}

// sha256 returns the base64 SHA-256 of the file, read once from its start.
func (p *uploadPlan) sha256() (string, error) {
	sum, err := sha256Of(io.NewSectionReader(p.file, 0, p.size))
	if err != nil {
		return "", failf("reading %s: %w", p.name, err)
	}
	return base64.StdEncoding.EncodeToString(sum), nil
}

// compareChecksum checks the file's SHA-256 against want, base64.
func (p *uploadPlan) compareChecksum(want, signer string) error {
	got, err := p.sha256()
	if err != nil {
		return err
	}
	if got != want {
		return &cliError{msg: fmt.Sprintf("%s's SHA-256 is %s, but %s was signed for %s", p.name, got, signer, want),
			hint: "upload the file it was made for, or sign it for this one; S3 would refuse the upload with BadDigest"}
	}
	return nil
}

// formBody returns what goes before and after the file in the form's
// multipart/form-data body, and its Content-Type. The fields come in
// order, then the file, last: S3 ignores what follows it.
func (p *uploadPlan) formBody() (prefix, suffix []byte, contentType string, err error) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, f := range p.fields {
		if err := mw.WriteField(f.Name, f.Value); err != nil {
			return nil, nil, "", err
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+quoteEscaper.Replace(p.name)+`"`)
	ct, ok := p.fields.Get("Content-Type")
	if !ok {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	if _, err := mw.CreatePart(h); err != nil {
		return nil, nil, "", err
	}
	n := b.Len()
	if err := mw.Close(); err != nil {
		return nil, nil, "", err
	}
	all := b.Bytes()
	return all[:n:n], all[n:], mw.FormDataContentType(), nil
}

var quoteEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\r", "%0D", "\n", "%0A")

// upload sends the file, retrying transient failures, and prints where it
// went.
func (c *uploadCommand) upload(ctx context.Context, p *uploadPlan, retries int, quiet bool) error {
	var prefix, suffix []byte
	var formType string
	if p.method == "POST" {
		var err error
		if prefix, suffix, formType, err = p.formBody(); err != nil {
			return failf("building the form: %w", err)
		}
	}
	m := c.newMeter(quiet, p.size, 0, "upload "+p.name)
	for attempt := 0; ; attempt++ {
		res, err := c.attempt(ctx, p, m, prefix, suffix, formType)
		if err == nil {
			m.finish()
			return c.printUploaded(p, res)
		}
		var te *transientError
		if errors.As(err, &te) && attempt < retries {
			m.note("%s; retrying (%d of %d)", te.msg, attempt+1, retries)
			if c.wait(ctx, attempt+1) == nil {
				m.set(0)
				continue
			}
			err = ctx.Err()
		}
		m.abort()
		if ctx.Err() != nil {
			return &cliError{msg: "upload interrupted", hint: "the object was not stored; run the command again", err: ctx.Err()}
		}
		return err
	}
}

// uploaded is a successful upload's answer.
type uploaded struct {
	status   int
	etag     string
	location string
}

// attempt sends the request once.
func (c *uploadCommand) attempt(ctx context.Context, p *uploadPlan, m *meter, prefix, suffix []byte, formType string) (*uploaded, error) {
	ctx, dog := watch(ctx, c.idle)
	defer dog.stop()
	file := &progressReader{r: io.NewSectionReader(p.file, 0, p.size), add: m.add, dog: dog, limit: c.limit}
	var body io.Reader = file
	length := p.size
	if p.method == "POST" {
		body = io.MultiReader(bytes.NewReader(prefix), file, bytes.NewReader(suffix))
		length += int64(len(prefix) + len(suffix))
	}
	req, err := http.NewRequestWithContext(ctx, p.method, p.url, body)
	if err != nil {
		return nil, usageErrorf("give the URL presign url made, in quotes", "the URL cannot be used: %v", err)
	}
	if length == 0 {
		req.Body = http.NoBody
	}
	req.ContentLength = length
	req.Header = p.header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	if p.host != "" {
		req.Host = p.host
	}
	if p.method == "POST" {
		req.Header.Set("Content-Type", formType)
	}
	if length > 0 {
		req.Header.Set("Expect", "100-continue")
	}
	res, err := c.client.Do(req)
	if err != nil {
		return nil, networkError(ctx, "the upload failed", err)
	}
	defer drain(res)
	switch {
	case res.StatusCode/100 == 2, p.method == "POST" && res.StatusCode == http.StatusSeeOther && res.Header.Get("Location") != "":
		up := &uploaded{status: res.StatusCode, etag: res.Header.Get("ETag"), location: res.Header.Get("Location")}
		if res.StatusCode == http.StatusCreated && up.etag == "" {
			var doc struct{ Location, ETag string }
			if b, err := io.ReadAll(io.LimitReader(res.Body, maxErrorBody)); err == nil && xml.Unmarshal(b, &doc) == nil {
				up.etag, up.location = doc.ETag, cmpOr(up.location, doc.Location)
			}
		}
		return up, nil
	case retryableStatus(res.StatusCode):
		return nil, &transientError{msg: "storage answered " + res.Status}
	}
	return nil, c.refusal("upload", p.method, p.url, sentHeaders(req), res)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// printUploaded prints the one line of a successful upload.
func (c *uploadCommand) printUploaded(p *uploadPlan, up *uploaded) error {
	where := withoutQuery(p.url)
	if up.location != "" {
		where = withoutQuery(up.location)
	}
	if up.status == http.StatusSeeOther {
		where = "storage, which redirects to " + where
	}
	line := fmt.Sprintf("uploaded %s (%s) to %s", printableName(p.name), formatBytes(p.size), printableName(where))
	if p.key != "" {
		line = fmt.Sprintf("uploaded %s (%s) as %s", printableName(p.name), formatBytes(p.size), printableName(p.key))
	}
	if up.etag != "" {
		line += ", ETag " + printableName(up.etag)
	}
	if _, err := fmt.Fprintln(c.stdout, line); err != nil {
		return failf("writing the output: %w", err)
	}
	return nil
}

// progressReader counts what is read through it (on a meter, with add),
// keeps a watchdog fed and, with a limiter, reads no faster than it allows.
type progressReader struct {
	r     io.Reader
	add   func(int64)
	dog   *watchdog
	limit *rate.Limiter
}

func (r *progressReader) Read(b []byte) (int, error) {
	if r.limit != nil && len(b) > r.limit.Burst() {
		b = b[:r.limit.Burst()]
	}
	n, err := r.r.Read(b)
	if n > 0 {
		if r.limit != nil {
			r.dog.pause() // waiting on purpose is no stall
			time.Sleep(r.limit.ReserveN(time.Now(), n).Delay())
		}
		r.add(int64(n))
		r.dog.touch()
	}
	if err == io.EOF {
		r.dog.pause() // the response's wait has its own bound
	}
	return n, err
}
