package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/sigv4"
)

var urlUsage = `Usage: presign url [METHOD|OPERATION] s3://BUCKET/KEY [flags]

Prints a presigned URL that lets whoever holds it do one S3 operation until
it expires, without credentials of their own. Flags may come before or after
the arguments.

METHOD is GET (the default), PUT, HEAD or DELETE: GetObject, PutObject,
HeadObject, DeleteObject. OPERATION is an S3 operation name:
  GetObject HeadObject PutObject DeleteObject CreateMultipartUpload
  UploadPart CompleteMultipartUpload AbortMultipartUpload ListParts
KEY is taken literally: no percent-decoding. BUCKET may be a Multi-Region
Access Point's ARN: s3://arn:aws:s3::ACCOUNT:accesspoint/ALIAS.mrap/KEY.

Flags:
  --expires D            lifetime: a Go duration (15m, 1h30m), seconds (900) or
                         days (7d); 1s to 7d, whole seconds; default 15m
` + awsFlagsUsage(22) + `  --region-set R         sign with SigV4a for the regions R (comma-separated, * for
                         all), as Multi-Region Access Points need; an MRAP ARN as
                         the bucket implies --region-set '*'
  --dualstack            use the IPv4+IPv6 endpoints
  --accelerate           use S3 Transfer Acceleration
  --compat C             URL shape: default, js (@aws-sdk/s3-request-presigner)
                         or botocore (boto3 generate_presigned_url)
  --signing-time T       sign at T (RFC 3339) instead of now: reproducible output
  --output O             url (default), json or curl

  --content-type T       Content-Type of the upload (signed: the uploader must send it)
  --content-length N     Content-Length of the upload
  --checksum-sha256 FILE the upload must have FILE's SHA-256 (x-amz-checksum-sha256)
  --metadata K=V         object metadata x-amz-meta-K (repeatable)
  --header K=V           a further request header (repeatable)
  --version-id V         the object version (GET, HEAD, DELETE)
  --upload-id ID         the multipart upload (UploadPart, CompleteMultipartUpload,
                         AbortMultipartUpload, ListParts)
  --part-number N        the part, 1 to 10000 (UploadPart; GET and HEAD read one part)
  --response-content-disposition V, --response-content-type V
                         the headers S3 answers a GET or HEAD with

  --signable H           sign header H although the profile would not (repeatable, or H1,H2)
  --unhoist H            keep x-amz-* header H a header instead of moving it into the query
  --hoist H              move x-amz-server-side-encryption* header H into the query

Outputs:
  url   the URL; headers the holder must send are noted on stderr
  json  {"method", "url", "headers": {name: value}, "expiresAt"}
  curl  a curl command line that does the request

Credentials come from the standard AWS sources: AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), AWS_PROFILE or --profile in
~/.aws/config and ~/.aws/credentials (static keys, SSO, assume-role,
credential_process, web identity), container credentials, and the EC2
instance metadata service. The metadata service is asked only when nothing
else is configured, for at most 2s (AWS_METADATA_SERVICE_TIMEOUT seconds if
set), so a machine without credentials fails fast; AWS_EC2_METADATA_DISABLED=true
skips it.

Examples:
  presign url s3://photos/cat.jpg --expires 1h
  presign url PUT s3://uploads/cat.jpg --content-type image/jpeg --output curl
  presign url UploadPart s3://uploads/big.iso --upload-id ID --part-number 3
  presign url s3://arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap/report.pdf
`

// urlCommand is "presign url": it prints one presigned URL.
type urlCommand struct {
	streams
}

func newURLCommand(s streams) command { return &urlCommand{streams: s} }

// urlFlags are the flags of "presign url", as given.
type urlFlags struct {
	signFlags
	contentType, contentLength, checksumFile        string
	versionID, uploadID, partNumber                 string
	responseContentDisposition, responseContentType string
	regionSet                                       string
	dualstack, accelerate                           bool
	metadata, header, signable, unhoist, hoist      listFlag
}

func (f *urlFlags) flagSet() *flag.FlagSet {
	fs := newFlagSet("url")
	f.signFlags.register(fs, outputURL)
	defineFlags(fs, flagVars{
		strings: map[string]*string{
			"content-type": &f.contentType, "content-length": &f.contentLength, "checksum-sha256": &f.checksumFile,
			"version-id": &f.versionID, "upload-id": &f.uploadID, "part-number": &f.partNumber,
			"response-content-disposition": &f.responseContentDisposition, "response-content-type": &f.responseContentType,
			"region-set": &f.regionSet,
		},
		bools: map[string]*bool{"dualstack": &f.dualstack, "accelerate": &f.accelerate},
		lists: map[string]*listFlag{"metadata": &f.metadata, "header": &f.header, "signable": &f.signable, "unhoist": &f.unhoist, "hoist": &f.hoist},
	})
	return fs
}

// flagOps lists the operations each object flag applies to, so that a
// misplaced flag is an error naming the flag, found before credentials are
// loaded. TestFlagOpsMatchLibrary keeps it in step with the library.
var flagOps = map[string][]presign.Operation{
	"content-type":                 {presign.PutObject, presign.CreateMultipartUpload},
	"content-length":               {presign.PutObject, presign.UploadPart},
	"checksum-sha256":              {presign.PutObject, presign.UploadPart, presign.CompleteMultipartUpload},
	"metadata":                     {presign.PutObject, presign.CreateMultipartUpload},
	"version-id":                   {presign.GetObject, presign.HeadObject, presign.DeleteObject},
	"upload-id":                    {presign.UploadPart, presign.CompleteMultipartUpload, presign.AbortMultipartUpload, presign.ListParts},
	"part-number":                  {presign.GetObject, presign.HeadObject, presign.UploadPart},
	"response-content-disposition": {presign.GetObject, presign.HeadObject},
	"response-content-type":        {presign.GetObject, presign.HeadObject},
}

// methods maps the HTTP methods accepted in place of an operation.
var methods = map[string]presign.Operation{
	"GET": presign.GetObject, "PUT": presign.PutObject, "HEAD": presign.HeadObject, "DELETE": presign.DeleteObject,
}

// output formats.
const (
	outputURL  = "url"
	outputJSON = "json"
	outputCurl = "curl"
)

// urlRequest is a validated "presign url" command line.
type urlRequest struct {
	op      presign.Operation
	input   presign.Input
	opts    presign.Options
	config  presign.Config // without credentials and region
	output  string
	aws     awsFlags
	upload  string // the file curl uploads; empty for the FILE placeholder
	outName string // the file curl saves a download in
}

// Run parses args, presigns and prints.
func (c *urlCommand) Run(ctx context.Context, args []string) error {
	var f urlFlags
	req, err := parseRequest("url", urlUsage, &f, args, c.stdout)
	if err != nil {
		return err
	}
	if f.checksumFile != "" {
		if req.input.ChecksumSHA256, err = fileSHA256(f.checksumFile); err != nil {
			return err
		}
	}

	client, err := newClient(ctx, req.config, req.aws, "url")
	if err != nil {
		return err
	}
	res, err := client.Presign(ctx, req.op, &req.input, req.opts)
	if err != nil {
		return fromLibrary(err, "url")
	}
	return c.print(req, res)
}

// request validates the flags and positional arguments; it reads no files
// and loads no configuration.
func (f *urlFlags) request(pos []string) (*urlRequest, error) {
	r := &urlRequest{op: presign.GetObject, aws: f.awsFlags}
	switch len(pos) {
	case 0:
		return nil, usageErrorf("give one such as s3://my-bucket/photos/cat.jpg", "missing the s3://BUCKET/KEY argument")
	case 1:
		if !strings.HasPrefix(pos[0], "s3://") {
			if _, err := parseOperation(pos[0]); err == nil {
				return nil, usageErrorf("give one such as s3://my-bucket/photos/cat.jpg", "missing the s3://BUCKET/KEY argument")
			} else if !strings.Contains(pos[0], "://") && !strings.Contains(pos[0], "/") {
				return nil, err // a misspelt method, most likely
			}
		}
	case 2:
		op, err := parseOperation(pos[0])
		if err != nil {
			return nil, err
		}
		r.op, pos = op, pos[1:]
	}
	bucket, key, err := objectArg(pos, "give [METHOD] s3://BUCKET/KEY and flags; quote a key with spaces")
	if err != nil {
		return nil, err
	}
	r.input.Bucket, r.input.Key = bucket, key

	for _, name := range slices.Sorted(maps.Keys(flagOps)) {
		if ops := flagOps[name]; f.set[name] && !slices.Contains(ops, r.op) {
			return nil, usageErrorf("use it with "+joinOps(ops)+", or remove it",
				"--%s does not apply to %s", name, r.op)
		}
	}

	sg, err := f.signFlags.parse(outputURL, outputJSON, outputCurl)
	if err != nil {
		return nil, err
	}
	r.opts.Expires, r.opts.SigningTime, r.config, r.output = sg.expires, sg.signingTime, sg.config, sg.output
	r.config.UseDualStack = f.dualstack
	r.config.UseAccelerate = f.accelerate

	in := &r.input
	in.ContentType = f.contentType
	if f.set["content-length"] {
		n, err := strconv.ParseInt(f.contentLength, 10, 64)
		if err != nil || n < 0 {
			return nil, usageErrorf("give the upload's size in bytes, such as 1048576",
				"--content-length %q is not a number of bytes", f.contentLength)
		}
		in.ContentLength = &n
	}
	if f.set["part-number"] {
		n, err := strconv.Atoi(f.partNumber)
		if err != nil || n < 1 || n > 10000 {
			return nil, usageErrorf("parts are numbered 1 to 10000",
				"--part-number %q is not a part number", f.partNumber)
		}
		in.PartNumber = n
	}
	if f.set["upload-id"] && f.uploadID == "" {
		return nil, usageErrorf("give the UploadId that CreateMultipartUpload returned", "--upload-id is empty")
	}
	for _, need := range []struct {
		flag string
		ops  []presign.Operation
	}{
		{"upload-id", flagOps["upload-id"]},
		{"part-number", []presign.Operation{presign.UploadPart}},
	} {
		if slices.Contains(need.ops, r.op) && !f.set[need.flag] {
			return nil, usageErrorf("add --"+need.flag, "%s needs --%s", r.op, need.flag)
		}
	}
	in.UploadID = f.uploadID
	in.VersionID = f.versionID
	in.ResponseContentDisposition = f.responseContentDisposition
	in.ResponseContentType = f.responseContentType
	for _, kv := range f.metadata {
		k, v, err := splitKV("metadata", kv)
		if err != nil {
			return nil, err
		}
		if in.Metadata == nil {
			in.Metadata = map[string]string{}
		}
		for old := range in.Metadata {
			if strings.EqualFold(old, k) {
				return nil, usageErrorf("give each name once; names are case-insensitive", "--metadata %s is given twice", k)
			}
		}
		in.Metadata[k] = v
	}
	for _, kv := range f.header {
		k, v, err := splitKV("header", kv)
		if err != nil {
			return nil, err
		}
		if !validHeaderName(k) {
			return nil, usageErrorf("header names are letters, digits and !#$%&'*+-.^_`|~",
				"--header %q is not a valid header name", k)
		}
		if strings.EqualFold(k, "host") || strings.EqualFold(k, "authorization") {
			return nil, usageErrorf("the URL names the host and carries the signature; remove the flag",
				"--header %s cannot be set", k)
		}
		if flag, ok := headerFlags[strings.ToLower(k)]; ok {
			return nil, usageErrorf("use "+flag+" instead", "--header %s has its own flag, %s", k, flag)
		}
		in.Header = append(in.Header, sigv4.Param{Name: k, Value: v})
	}
	r.opts.SignableHeaders = f.signable.names()
	r.opts.UnhoistableHeaders = f.unhoist.names()
	r.opts.HoistableHeaders = f.hoist.names()
	if f.set["region-set"] {
		for _, region := range strings.Split(f.regionSet, ",") {
			if region = strings.TrimSpace(region); region == "" || strings.ContainsAny(region, " \t") {
				return nil, usageErrorf("give regions separated by commas, or * for every region: --region-set us-east-1,eu-west-1", "--region-set %q has an empty or malformed region", f.regionSet)
			}
			r.opts.RegionSet = append(r.opts.RegionSet, region)
		}
	}

	r.upload = f.checksumFile
	if r.op == presign.GetObject {
		r.outName = downloadName(key)
	}
	return r, nil
}

// validHeaderName reports whether s is an HTTP token (RFC 9110).
func validHeaderName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return s != ""
}

// parseOperation parses a method (GET, PUT, HEAD, DELETE) or an operation
// name, in any case.
func parseOperation(s string) (presign.Operation, error) {
	if op, ok := methods[strings.ToUpper(s)]; ok {
		return op, nil
	}
	for _, op := range presign.Operations {
		if strings.EqualFold(s, string(op)) {
			return op, nil
		}
	}
	if strings.EqualFold(s, "POST") {
		return "", usageErrorf("for a browser form upload, use 'presign post s3://BUCKET/KEY'; for a multipart step, name it: CreateMultipartUpload or CompleteMultipartUpload",
			"POST is not one operation")
	}
	if strings.Contains(s, "://") {
		return "", usageErrorf("write it as s3://BUCKET/KEY", "%q is not an s3:// URL", s)
	}
	return "", usageErrorf("use GET, PUT, HEAD, DELETE or an operation: "+joinOps(presign.Operations),
		"unknown method %q", s)
}

// objectArg parses pos, the one s3://BUCKET/KEY argument left of a
// command line; more than one is a usage error with hint.
func objectArg(pos []string, hint string) (bucket, key string, err error) {
	if len(pos) > 1 {
		return "", "", usageErrorf(hint, "too many arguments: %q", strings.Join(pos, " "))
	}
	return parseS3URL(pos[0])
}

// parseS3URL splits s3://bucket/key. The key is taken literally.
func parseS3URL(s string) (bucket, key string, err error) {
	rest, ok := strings.CutPrefix(s, "s3://")
	if !ok {
		return "", "", usageErrorf("write it as s3://BUCKET/KEY, such as s3://my-bucket/photos/cat.jpg", "%q is not an s3:// URL", s)
	}
	bucket, key, _ = strings.Cut(rest, "/")
	if strings.HasPrefix(rest, "arn:") {
		// An access point ARN holds a '/': the bucket ends after its name.
		const ap = ":accesspoint/"
		i := strings.Index(rest, ap)
		j := -1
		if i >= 0 {
			j = strings.IndexByte(rest[i+len(ap):], '/')
		}
		if j < 0 {
			return "", "", usageErrorf("write it as s3://arn:aws:s3::ACCOUNT:accesspoint/ALIAS.mrap/KEY", "%q is not an access point ARN followed by a key", s)
		}
		bucket, key = rest[:i+len(ap)+j], rest[i+len(ap)+j+1:]
	}
	if bucket == "" {
		return "", "", usageErrorf("write it as s3://BUCKET/KEY, such as s3://my-bucket/photos/cat.jpg", "%q has no bucket name", s)
	}
	if key == "" {
		return "", "", usageErrorf("name the object after the bucket: s3://"+bucket+"/KEY", "%q has an empty key", s)
	}
	return bucket, key, nil
}

// parseExpires parses a Go duration, a number of seconds or a number of
// days ("7d"), and checks the range S3 accepts.
func parseExpires(s string) (time.Duration, error) {
	const maxSeconds = 7 * 24 * 60 * 60
	outOfRange := usageErrorf("a presigned URL lives from 1s to 7d, which is 604800 seconds", "--expires %s is out of range", s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		if err != nil || n < 1 || n > maxSeconds {
			return 0, outOfRange
		}
		return time.Duration(n) * time.Second, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err == nil || errors.Is(err, strconv.ErrRange) {
			if err != nil || n < 1 || n > 7 {
				return 0, outOfRange
			}
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, usageErrorf("give a duration such as 15m, 1h or 7d, or seconds such as 900", "--expires %q is not a duration", s)
	}
	if d < time.Second || d > maxSeconds*time.Second {
		return 0, outOfRange
	}
	if d%time.Second != 0 {
		return 0, usageErrorf("give whole seconds, such as 2s", "--expires %s is not a whole number of seconds", s)
	}
	return d, nil
}

func joinOps(ops []presign.Operation) string {
	s := make([]string, len(ops))
	for i, op := range ops {
		s[i] = string(op)
	}
	return joinWords(s)
}

// fileSHA256 returns the base64 SHA-256 of the file at name.
func fileSHA256(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", &cliError{msg: "--checksum-sha256: " + err.Error(), hint: "give the path of the file to upload", err: err}
	}
	defer f.Close()
	sum, err := sha256Of(f)
	if err != nil {
		return "", &cliError{msg: "--checksum-sha256: " + err.Error(), hint: "give the path of a readable file", err: err}
	}
	return base64.StdEncoding.EncodeToString(sum), nil
}

// downloadName is the file name curl saves an object in: the key's last
// segment, or "download" when that is not a usable name.
func downloadName(key string) string {
	name := path.Base(key)
	if strings.HasSuffix(key, "/") || name == "." || name == ".." || name == "/" {
		return "download"
	}
	if strings.HasPrefix(name, "-") {
		name = "./" + name
	}
	return name
}

// urlJSON is the --output json document.
type urlJSON struct {
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers"`
	ExpiresAt string            `json:"expiresAt"`
}

// print writes res in the requested format.
func (c *urlCommand) print(r *urlRequest, res presign.Result) error {
	var err error
	switch r.output {
	case outputJSON:
		doc := urlJSON{Method: res.Method, URL: res.URL, Headers: map[string]string{},
			ExpiresAt: res.Expires.UTC().Format(time.RFC3339)}
		for _, h := range res.Header {
			doc.Headers[h.Name] = h.Value
		}
		enc := json.NewEncoder(c.stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		err = enc.Encode(doc)
	case outputCurl:
		_, err = fmt.Fprintln(c.stdout, curlCommand(r, res))
	default:
		_, err = fmt.Fprintln(c.stdout, res.URL)
		if len(res.Header) > 0 {
			hs := make([]string, len(res.Header))
			for i, h := range res.Header {
				hs[i] = h.Name + ": " + h.Value
			}
			fmt.Fprintf(c.stderr, "presign: note: send these headers with the request: %s (--output curl or json include them)\n",
				strings.Join(hs, "; "))
		}
	}
	if err != nil {
		return failf("writing the output: %w", err)
	}
	return nil
}

// curlCommand returns a curl command line that does the presigned request.
func curlCommand(r *urlRequest, res presign.Result) string {
	args := []string{"curl"}
	switch res.Method {
	case "GET":
	case "HEAD":
		args = append(args, "--head")
	default:
		args = append(args, "-X", res.Method)
	}
	for _, h := range res.Header {
		if h.Value == "" {
			// "Name:" would make curl drop the header; "Name;" sends it empty.
			args = append(args, "-H", shellQuote(h.Name+";"))
		} else {
			args = append(args, "-H", shellQuote(h.Name+": "+h.Value))
		}
	}
	switch {
	case r.op == presign.PutObject || r.op == presign.UploadPart:
		file := "FILE"
		if r.upload != "" {
			file = shellQuote(r.upload)
		}
		args = append(args, "--upload-file", file)
	case r.op == presign.CompleteMultipartUpload:
		args = append(args, "--data-binary", "@FILE")
	case r.outName != "":
		args = append(args, "-o", shellQuote(r.outName))
	}
	args = append(args, shellQuote(res.URL))
	return strings.Join(args, " ")
}

// headerFlags maps the headers that have their own flag to it.
var headerFlags = map[string]string{
	"content-type":   "--content-type",
	"content-length": "--content-length",
}
