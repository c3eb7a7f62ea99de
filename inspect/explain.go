package inspect

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/presign-dev/presign/internal/grant"
	"github.com/presign-dev/presign/sigv4"
)

// explain fills in.Params: each query parameter with its meaning.
func (in *Inspection) explain() {
	for _, p := range in.query {
		v := p.Value
		if p.Name == pToken {
			v = shortToken(v)
		}
		in.Params = append(in.Params, Param{Name: p.Name, Value: v, Meaning: in.meaning(p)})
	}
}

// grantParam is presign serve's grant parameter (internal/grant.Param).
const grantParam = grant.Param

// shortToken shortens a session token for display.
func shortToken(t string) string {
	if len(t) <= 24 {
		return t
	}
	return t[:16] + "... (" + strconv.Itoa(len(t)) + " characters)"
}

// meaning explains one parameter.
func (in *Inspection) meaning(p sigv4.Param) string {
	name, v := p.Name, p.Value
	switch name {
	case pAlgorithm:
		switch v {
		case sigv4.Algorithm:
			return "Signature Version 4, with HMAC-SHA256"
		case algorithmECDSA:
			return "Signature Version 4A (multi-Region access points), with ECDSA P-256"
		}
		return "not an algorithm S3 accepts"
	case pCredential:
		kind := ""
		switch {
		case strings.HasPrefix(in.AccessKeyID, longTermKeyStart):
			kind = " (AKIA: an IAM user's long-term key)"
		case strings.HasPrefix(in.AccessKeyID, temporaryKeyStart):
			kind = " (ASIA: temporary, from STS)"
		}
		return fmt.Sprintf("access key %s%s; scope: date %s, region %s, service %s",
			in.AccessKeyID, kind, scopeDate(in.Scope.Date), in.Scope.Region, in.Scope.Service)
	case pDate:
		return "signed at " + fmtTime(in.SignedAt)
	case pExpires:
		return fmt.Sprintf("lifetime %s (%d s): valid until %s", fmtDuration(in.Lifetime()), in.LifetimeSeconds, fmtTime(in.ExpiresAt))
	case pSignedHeaders:
		send := in.headersToSend()
		hoisted := len(in.otherSignedHeaders()) - len(send)
		switch {
		case len(send) == 0 && hoisted == 0:
			return "only host is signed: the request needs no particular headers"
		case len(send) == 0:
			return "the signed x-amz-* headers are in the query, where S3 reads them: the request needs no particular headers"
		}
		return "the request must send " + joinAnd(send) + " with " + theValues(len(send)) + " signed (the URL does not say which)"
	case pToken:
		return "session token: signed with temporary credentials, so the URL works only while they last"
	case pSignature:
		return "the signature: HMAC-SHA256 of the string to sign, hex"
	case pContentSHA256:
		switch {
		case v == sigv4.UnsignedPayload:
			return "the body is not signed: any body is accepted"
		case strings.HasPrefix(v, "STREAMING-"):
			return "a chunked, streaming upload"
		}
		return "the body must have this SHA-256"
	case pRegionSet:
		if v == "*" {
			return "the regions the SigV4a signature is valid in: all of them"
		}
		return "the regions the SigV4a signature is valid in, separated by commas"
	case "X-Amz-User-Agent":
		return "the SDK that made the URL"
	case "x-id":
		return "the operation's name, which AWS SDKs add (JavaScript v3, Go v2)"
	case "AWSAccessKeyId":
		if in.sigV2() {
			return "the access key that signed the URL (Signature Version 2)"
		}
	case "Expires":
		if in.sigV2() {
			return "when the URL stops working, in Unix seconds: " + fmtTime(in.ExpiresAt)
		}
	case "Signature":
		if in.sigV2() {
			return "the signature: base64 of an HMAC-SHA1 of the method, Content-MD5, Content-Type, Expires, x-amz-* headers and the resource (Signature Version 2)"
		}
	case grantParam:
		return "the grant presign serve issued the URL under: signed, so it cannot be removed; its issuer can revoke it (DELETE /v1/grants/" + v + "), and may have limited its uses; S3 ignores it"
	case "versionId":
		return "the object version"
	case "partNumber":
		if in.Operation == "UploadPart" {
			return "the part being uploaded, 1 to 10000"
		}
		return "reads only this part of a multipart object"
	case "uploadId":
		return "the multipart upload"
	case "uploads":
		return "starts a multipart upload"
	case "max-parts":
		return "lists at most this many parts"
	case "part-number-marker":
		return "lists the parts after this one"
	case "list-type":
		return "ListObjectsV2 when 2"
	case "response-expires":
		return "S3 answers with this Expires header"
	}
	if h, ok := strings.CutPrefix(name, "response-"); ok {
		return "S3 answers with this " + headerCase(h) + " header"
	}
	lower := strings.ToLower(name)
	switch {
	case strings.HasPrefix(lower, "x-amz-meta-"):
		return "object metadata " + name[len("x-amz-meta-"):] + ": a header moved into the query"
	case strings.HasPrefix(lower, "x-amz-checksum-") && lower != "x-amz-checksum-mode" && lower != "x-amz-checksum-type" && lower != "x-amz-checksum-algorithm":
		return "the body's " + strings.ToUpper(lower[len("x-amz-checksum-"):]) + " checksum: a header moved into the query"
	case strings.HasPrefix(lower, "x-amz-"):
		return "the " + lower + " header, moved into the query: S3 reads it as a header"
	}
	return "not an S3 parameter: it is signed with the query, and S3 ignores it"
}

// otherSignedHeaders lists the signed headers other than host.
func (in *Inspection) otherSignedHeaders() []string {
	var out []string
	for _, h := range in.SignedHeaders {
		if h != "host" {
			out = append(out, h)
		}
	}
	return out
}

// headersToSend lists the signed headers the request must send: all but
// host, and but the x-amz-* headers the query carries (S3 reads those).
func (in *Inspection) headersToSend() []string {
	var out []string
	for _, h := range in.otherSignedHeaders() {
		if _, ok := in.getFold(h); ok && strings.HasPrefix(h, "x-amz-") {
			continue
		}
		out = append(out, h)
	}
	return out
}

// headerCase writes a lower-case header name the usual way: content-type
// becomes Content-Type.
func headerCase(h string) string {
	parts := strings.Split(h, "-")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "-")
}

func scopeDate(d string) string {
	if t, err := time.Parse("20060102", d); err == nil {
		return t.Format("2006-01-02")
	}
	return d
}

// fmtTime writes t in UTC to the second.
func fmtTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// fmtDuration writes d in its two largest units: 7d, 1h30m, 14m59s, 5s,
// 10y40d.
func fmtDuration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	s := int64(d / time.Second)
	if s == 0 {
		return "0s"
	}
	units := []struct {
		n    int64
		name string
	}{{365 * 86400, "y"}, {86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}}
	var b strings.Builder
	shown := 0
	for _, u := range units {
		if q := s / u.n; q > 0 || shown > 0 {
			if shown == 2 {
				break
			}
			if q > 0 {
				b.WriteString(strconv.FormatInt(q, 10))
				b.WriteString(u.name)
			}
			s -= q * u.n
			shown++
		}
	}
	return b.String()
}

func theValues(n int) string {
	if n == 1 {
		return "the value"
	}
	return "the values"
}
