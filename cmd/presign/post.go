package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"math/big"
	"net/url"
	"strings"
	"time"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/postpolicy"
	"github.com/presign-dev/presign/s3err"
)

var postUsage = `Usage: presign post s3://BUCKET/KEY [flags]

Prints a presigned POST form: the URL and the fields a browser (or curl)
posts, with the file, to upload one object without credentials of its own.
KEY may contain ${filename}, which S3 replaces with the uploaded file's
name; quote it for the shell: s3://uploads/'${filename}'. The form allows
exactly the fields it prints (and x-ignore-* fields). Flags may come before
or after the argument.

Flags:
  --expires D              lifetime: a Go duration (15m, 1h30m), seconds (900) or
                           days (7d); 1s to 7d; default 1h
` + awsFlagsUsage(24) + `  --compat C               form shape: default, js (@aws-sdk/s3-presigned-post
                           createPresignedPost) or botocore (generate_presigned_post)
  --signing-time T         sign at T (RFC 3339) instead of now: reproducible output
  --output O               json (default), html or curl

  --content-type T         the object's Content-Type is exactly T
  --content-type-prefix P  the uploader chooses a Content-Type starting with P (image/)
  --max-size N             the file is at most N bytes: 10MiB, 5MB, 1048576 (up to 5GiB)
  --min-size N             the file is at least N bytes
  --field K=V              a further form field, such as acl=private,
                           x-amz-meta-owner=alice or tagging=<Tagging>...; the
                           policy requires exactly that value (repeatable)
  --condition JSON         a further policy condition, such as
                           '["starts-with", "$x-amz-meta-tag", ""]' (repeatable)
  --success-status N       S3 answers a successful upload with 200, 201 (an XML
                           document) or 204 (the default)
  --redirect URL           S3 redirects the browser to URL after the upload

Outputs:
  json  {"url", "fields": {name: value, in order}, "expiresAt"}
  html  a <form> to paste into a page
  curl  a curl command line that posts FILE

Credentials come from the standard AWS sources, as for "presign url" (see
"presign url -h").

Examples:
  presign post s3://uploads/avatars/'${filename}' --content-type-prefix image/ --max-size 5MiB
  presign post s3://uploads/report.pdf --content-type application/pdf --output curl
  presign post s3://uploads/in/'${filename}' --success-status 201 --output html --expires 10m
`

// postCommand is "presign post": it prints a presigned POST form.
type postCommand struct {
	streams
}

func newPostCommand(s streams) command { return &postCommand{streams: s} }

// postFlags are the flags of "presign post", as given.
type postFlags struct {
	signFlags
	contentType, contentTypePrefix            string
	maxSize, minSize, successStatus, redirect string
	fields, conditions                        listFlag
}

func (f *postFlags) flagSet() *flag.FlagSet {
	fs := newFlagSet("post")
	f.signFlags.register(fs, outputJSON)
	defineFlags(fs, flagVars{
		strings: map[string]*string{
			"content-type": &f.contentType, "content-type-prefix": &f.contentTypePrefix,
			"max-size": &f.maxSize, "min-size": &f.minSize, "success-status": &f.successStatus, "redirect": &f.redirect,
		},
		lists: map[string]*listFlag{"field": &f.fields, "condition": &f.conditions},
	})
	return fs
}

const outputHTML = "html"

// postRequest is a validated "presign post" command line.
type postRequest struct {
	input  presign.PostInput
	config presign.Config // without credentials and region
	output string
	aws    awsFlags
	// typePrefix is set when the uploader chooses the Content-Type: the
	// html and curl outputs then carry a Content-Type for them to fill in.
	typePrefix *string
}

// Run parses args, signs the form and prints it.
func (c *postCommand) Run(ctx context.Context, args []string) error {
	var f postFlags
	req, err := parseRequest("post", postUsage, &f, args, c.stdout)
	if err != nil {
		return err
	}
	client, err := newClient(ctx, req.config, req.aws, "post")
	if err != nil {
		return err
	}
	form, err := client.PresignPost(ctx, &req.input)
	if err != nil {
		return fromLibrary(err, "post")
	}
	return c.print(req, form)
}

// ownFlags are the form fields that have a flag of their own.
var ownFlags = map[string]string{
	"content-type":            "--content-type",
	"success_action_status":   "--success-status",
	"success_action_redirect": "--redirect",
}

// signerFields are the form fields the signer writes.
var signerFields = []string{"key", "bucket", "policy", "file", "x-amz-algorithm", "x-amz-credential",
	"x-amz-date", "x-amz-security-token", "x-amz-signature"}

// request validates the flags and the argument; it loads no configuration.
func (f *postFlags) request(pos []string) (*postRequest, error) {
	r := &postRequest{aws: f.awsFlags}
	if len(pos) == 0 {
		return nil, usageErrorf("give one such as s3://my-bucket/uploads/'${filename}'", "missing the s3://BUCKET/KEY argument")
	}
	bucket, key, err := objectArg(pos, "give one s3://BUCKET/KEY and flags; quote a key with spaces or ${filename}")
	if err != nil {
		return nil, err
	}
	in := &r.input
	in.Bucket, in.Key = bucket, key

	sg, err := f.signFlags.parse(outputJSON, outputHTML, outputCurl)
	if err != nil {
		return nil, err
	}
	in.Expires, in.SigningTime, r.config, r.output = sg.expires, sg.signingTime, sg.config, sg.output

	// Fields, each with the exact-match condition it needs. The library
	// adds those itself under the default and JS shapes; botocore's
	// generate_presigned_post does not, so they go in as conditions.
	botocore := r.config.Profile == presign.ProfileBotocore
	seen := map[string]string{}
	addField := func(flagName, name, value string) error {
		ln := strings.ToLower(name)
		if prev, dup := seen[ln]; dup {
			return usageErrorf("give each field once; names are case-insensitive", "%s sets the %s field, which %s sets already", flagName, name, prev)
		}
		seen[ln] = flagName
		in.Fields = append(in.Fields, postpolicy.Field{Name: name, Value: value})
		if botocore {
			in.Conditions = append(in.Conditions, postpolicy.Exact(name, value))
		}
		return nil
	}
	if f.set["content-type"] {
		if f.contentType == "" {
			return nil, usageErrorf("give a media type such as image/png", "--content-type is empty")
		}
		if f.set["content-type-prefix"] && !strings.HasPrefix(f.contentType, f.contentTypePrefix) {
			return nil, usageErrorf("give one of the two, or a type that starts with the prefix",
				"--content-type %s does not start with --content-type-prefix %s", f.contentType, f.contentTypePrefix)
		}
		if err := addField("--content-type", "Content-Type", f.contentType); err != nil {
			return nil, err
		}
	}
	if f.set["content-type-prefix"] {
		in.Conditions = append(in.Conditions, postpolicy.StartsWith("Content-Type", f.contentTypePrefix))
		if !f.set["content-type"] {
			p := f.contentTypePrefix
			r.typePrefix = &p
		}
	}
	if f.set["success-status"] {
		switch f.successStatus {
		case "200", "201", "204":
		default:
			return nil, usageErrorf("use 200, 201 or 204", "--success-status %q is not a status S3 answers an upload with", f.successStatus)
		}
		if err := addField("--success-status", "success_action_status", f.successStatus); err != nil {
			return nil, err
		}
	}
	if f.set["redirect"] {
		u, err := url.Parse(f.redirect)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, usageErrorf("give an http(s) URL such as https://example.com/uploaded", "--redirect %q is not an http(s) URL", f.redirect)
		}
		if err := addField("--redirect", "success_action_redirect", f.redirect); err != nil {
			return nil, err
		}
	}
	for _, kv := range f.fields {
		k, v, err := splitFieldKV(kv)
		if err != nil {
			return nil, err
		}
		lk := strings.ToLower(k)
		if flagName, ok := ownFlags[lk]; ok {
			return nil, usageErrorf("use "+flagName+" instead", "--field %s has its own flag, %s", k, flagName)
		}
		for _, s := range signerFields {
			if lk == s {
				return nil, usageErrorf("the signer writes it; remove the flag (the bucket and key come from the s3:// argument)",
					"--field %s cannot be set", k)
			}
		}
		if err := addField("--field "+k, k, v); err != nil {
			return nil, err
		}
	}

	if f.set["min-size"] || f.set["max-size"] {
		min, max := int64(0), postpolicy.MaxObjectSize
		if f.set["min-size"] {
			if min, err = parseSize("min-size", f.minSize); err != nil {
				return nil, err
			}
		}
		if f.set["max-size"] {
			if max, err = parseSize("max-size", f.maxSize); err != nil {
				return nil, err
			}
		}
		if max > postpolicy.MaxObjectSize || min > postpolicy.MaxObjectSize {
			return nil, usageErrorf("S3 takes at most 5GiB in a POST upload; use a multipart upload for more",
				"--max-size and --min-size must be at most 5GiB")
		}
		if min > max {
			return nil, usageErrorf("give a --min-size no larger than --max-size", "--min-size %s is more than --max-size %s", f.minSize, f.maxSize)
		}
		in.Conditions = append(in.Conditions, postpolicy.ContentLengthRange(min, max))
	}
	for _, raw := range f.conditions {
		c, err := postpolicy.ParseCondition([]byte(raw))
		if err != nil {
			msg := err.Error()
			var se *s3err.Error
			if errors.As(err, &se) {
				msg = se.Message
			}
			return nil, usageErrorf(`write it as JSON such as '{"acl": "private"}', '["starts-with", "$key", "uploads/"]' or '["content-length-range", 1, 1048576]'`,
				"--condition %s: %s", raw, msg)
		}
		in.Conditions = append(in.Conditions, c)
	}
	return r, nil
}

// splitFieldKV splits a --field value at its first '='.
func splitFieldKV(s string) (k, v string, err error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(k) == "" {
		return "", "", usageErrorf("write it as --field name=value, such as --field acl=private", "--field %q is not name=value", s)
	}
	return strings.TrimSpace(k), v, nil
}

// sizeUnits are the suffixes parseSize takes, lower case.
var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// parseSize parses a number of bytes with an optional unit: 1048576,
// 5MB (10^6), 10MiB (2^20), 1.5GiB. The result must be whole bytes.
func parseSize(flagName, s string) (int64, error) {
	bad := usageErrorf("give bytes with an optional unit, such as 1048576, 5MB or 10MiB (B, KB, MB, GB, KiB, MiB, GiB)",
		"--%s %q is not a size", flagName, s)
	num := strings.TrimSpace(s)
	i := strings.IndexFunc(num, func(r rune) bool { return !(r >= '0' && r <= '9' || r == '.') })
	unit := ""
	if i >= 0 {
		num, unit = num[:i], strings.ToLower(strings.TrimSpace(num[i:]))
	}
	mult, ok := sizeUnits[unit]
	if !ok || num == "" || strings.Count(num, ".") > 1 || num == "." {
		return 0, bad
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return 0, bad
	}
	r.Mul(r, new(big.Rat).SetInt64(mult))
	if !r.IsInt() {
		return 0, usageErrorf("give whole bytes", "--%s %s is not a whole number of bytes", flagName, s)
	}
	if !r.Num().IsInt64() || r.Num().Int64() > 1<<50 {
		return 0, usageErrorf("S3 takes at most 5GiB in a POST upload", "--%s %s is too large", flagName, s)
	}
	return r.Num().Int64(), nil
}

// postJSON is the --output json document.
type postJSON struct {
	URL       string            `json:"url"`
	Fields    postpolicy.Fields `json:"fields"`
	ExpiresAt string            `json:"expiresAt"`
}

// print writes form in the requested format.
func (c *postCommand) print(r *postRequest, form *postpolicy.Form) error {
	var err error
	switch r.output {
	case outputHTML:
		err = htmlForm.Execute(c.stdout, htmlData{Form: form, ExpiresAt: form.Expires.UTC().Format(time.RFC3339), TypePrefix: r.typePrefix})
	case outputCurl:
		_, err = fmt.Fprintln(c.stdout, postCurl(r, form))
	default:
		enc := json.NewEncoder(c.stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		err = enc.Encode(postJSON{URL: form.URL, Fields: form.Fields, ExpiresAt: form.Expires.UTC().Format(time.RFC3339)})
	}
	if err != nil {
		return failf("writing the output: %w", err)
	}
	return nil
}

type htmlData struct {
	Form       *postpolicy.Form
	ExpiresAt  string
	TypePrefix *string
}

// htmlForm is the --output html form: the fields, then the file (S3 reads
// no field after the file).
var htmlForm = template.Must(template.New("form").Parse(`<form action="{{.Form.URL}}" method="post" enctype="multipart/form-data" data-expires-at="{{.ExpiresAt}}">
{{- range .Form.Fields}}
  <input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{- end}}
{{- with .TypePrefix}}
  <label>Content-Type <input type="text" name="Content-Type" value="{{.}}" required></label>
{{- end}}
  <input type="file" name="file" required>
  <button type="submit">Upload</button>
</form>
`))

// postCurl returns a curl command that posts FILE with the form. Fields go
// in --form-string, which takes the value literally (-F would read a value
// starting with @ or < from a file, and parse ";type=" in it).
func postCurl(r *postRequest, form *postpolicy.Form) string {
	args := []string{"curl"}
	for _, f := range form.Fields {
		args = append(args, "--form-string", shellQuote(f.Name+"="+f.Value))
	}
	if r.typePrefix != nil {
		args = append(args, "--form-string", shellQuote("Content-Type="+*r.typePrefix+"TYPE"))
	}
	args = append(args, "-F", "file=@FILE", shellQuote(form.URL))
	return strings.Join(args, " ")
}
