package inspect

import (
	"encoding/hex"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/presign-dev/presign/sigv4"
)

// The codes of findings about a URL.
const (
	CodeExpired             Code = "expired"
	CodeNotYetValid         Code = "not-yet-valid"
	CodeLifetimeOver7Days   Code = "lifetime-over-7-days"
	CodeLifetimeOverGuide   Code = "lifetime-over-guideline"
	CodeTemporary           Code = "temporary-credentials"
	CodeMissingToken        Code = "missing-session-token"
	CodePlainHTTP           Code = "plain-http"
	CodeRegionMismatch      Code = "region-mismatch"
	CodeContentTypeUnsigned Code = "content-type-not-signed"
	CodeLengthUnsigned      Code = "content-length-not-signed"
	CodeChecksumInQuery     Code = "checksum-in-query"
	CodePathStyle           Code = "path-style"
	CodeDottedBucketTLS     Code = "dotted-bucket-tls"
	CodeHostNotSigned       Code = "host-not-signed"
	CodeSignedHeadersBad    Code = "signed-headers-malformed"
	CodeSignatureBad        Code = "signature-malformed"
	CodeAlgorithm           Code = "algorithm"
	CodeCredentialDate      Code = "credential-date-mismatch"
	CodeService             Code = "service-not-s3"
	CodeScopeTerminal       Code = "scope-terminal"
	CodeMethodMismatch      Code = "method-mismatch"
	CodeMethodUnknown       Code = "method-unknown"
	CodeFragment            Code = "fragment"
	CodeNoBucket            Code = "no-bucket"
	CodePlusInPath          Code = "plus-in-path"
	CodeWebsiteEndpoint     Code = "website-endpoint"
	CodeHeadersToSend       Code = "headers-to-send"
	CodeSigV4A              Code = "sigv4a"
	CodeSigV2               Code = "sigv2-legacy"
	CodePayloadConflict     Code = "payload-hash-conflict"
)

// check adds the findings and sets the status.
func (in *Inspection) check() {
	if in.sigV2() {
		in.checkV2()
	} else {
		in.checkSignature()
		in.checkTime()
		in.checkEndpoint()
		in.checkHeaders()
	}
	slices.SortStableFunc(in.Findings, func(a, b Finding) int { return rank(a.Severity) - rank(b.Severity) })

	in.SecondsLeft = int64(in.ExpiresAt.Sub(in.Now) / time.Second)
	in.Status = StatusOK
	for _, f := range in.Findings {
		switch {
		case f.Code == CodeExpired:
			in.Status = StatusExpired
		case f.Code == CodeNotYetValid && in.Status != StatusExpired:
			in.Status = StatusNotYetValid
		case f.Severity == SeverityError && in.Status == StatusOK:
			in.Status = StatusWillFail
		}
	}
}

func rank(s Severity) int {
	switch s {
	case SeverityError:
		return 0
	case SeverityWarning:
		return 1
	}
	return 2
}

// checkV2 checks a Signature Version 2 URL: legacy, refused by S3 in the
// regions opened since 2014 and by SigV4-only stores; its expiry; plain
// http.
func (in *Inspection) checkV2() {
	in.add(SeverityWarning, CodeSigV2, "signed with Signature Version 2 (HMAC-SHA1; AWSAccessKeyId, Expires, Signature), the legacy scheme: S3 refuses it in the regions opened since 2014 and may refuse it anywhere; presign serve's embedded store and MinIO verify it. Presign with SigV4 (presign url, or the SDK's signature_version \"s3v4\")")
	if in.Expired() {
		in.add(SeverityError, CodeExpired, fmt.Sprintf("expired %s ago, at %s: S3 answers 403 AccessDenied \"Request has expired\"; make a new URL",
			fmtDuration(in.Now.Sub(in.ExpiresAt)), fmtTime(in.ExpiresAt)))
	}
	if in.Scheme == "http" && !loopback(in.hostname) {
		in.add(SeverityWarning, CodePlainHTTP, "plain http: the URL and the data travel unencrypted, and anyone on the way can reuse the URL until it expires; use https")
	}
}

// checkSignature checks the form of the authentication parameters.
func (in *Inspection) checkSignature() {
	switch in.Algorithm {
	case sigv4.Algorithm:
	case algorithmECDSA:
		set, _ := in.get(pRegionSet)
		in.add(SeverityInfo, CodeSigV4A, fmt.Sprintf("signed with SigV4a (ECDSA P-256) for the regions %q, as multi-Region access points need; presign verify checks it with the signer's credentials", short(set)))
	default:
		in.add(SeverityError, CodeAlgorithm, fmt.Sprintf("X-Amz-Algorithm is %q: S3 accepts only AWS4-HMAC-SHA256 (and AWS4-ECDSA-P256-SHA256 for multi-Region access points)", short(in.Algorithm)))
	}
	if date := in.SignedAt.Format("20060102"); in.Scope.Date != date {
		in.add(SeverityError, CodeCredentialDate, fmt.Sprintf("the date in X-Amz-Credential (%s) is not the day of X-Amz-Date (%s): S3 refuses the URL", in.Scope.Date, date))
	}
	if in.Scope.Service != "s3" {
		in.add(SeverityError, CodeService, fmt.Sprintf("the credential scope names the service %q, not s3: S3 refuses the URL", short(in.Scope.Service)))
	}
	if in.Scope.Terminal != "aws4_request" {
		in.add(SeverityError, CodeScopeTerminal, fmt.Sprintf("the credential scope ends with %q, not aws4_request: S3 refuses the URL", short(in.Scope.Terminal)))
	}
	if !validSignedHeaders(in.SignedHeaders) {
		sh, _ := in.get(pSignedHeaders)
		in.add(SeverityError, CodeSignedHeadersBad, fmt.Sprintf("X-Amz-SignedHeaders %q is malformed: it lists lower-case header names, sorted, separated by ';'", short(sh)))
	} else if !slices.Contains(in.SignedHeaders, "host") {
		in.add(SeverityError, CodeHostNotSigned, "X-Amz-SignedHeaders does not include host: S3 refuses the URL (AccessDenied, \"There were headers present in the request which were not signed\")")
	}
	if in.Algorithm == algorithmECDSA {
		if !derSignature(in.Signature) {
			in.add(SeverityError, CodeSignatureBad, "X-Amz-Signature is not the lower-case hex of an ECDSA signature (DER, 70 to 72 bytes): was the URL cut or changed?")
		}
	} else if !hexSignature(in.Signature) {
		in.add(SeverityError, CodeSignatureBad, "X-Amz-Signature is not 64 lower-case hex digits: was the URL cut or changed?")
	}
	if strings.HasPrefix(in.AccessKeyID, temporaryKeyStart) && !in.SessionToken {
		in.add(SeverityError, CodeMissingToken, "the access key "+in.AccessKeyID+" is temporary (it starts with ASIA) but the URL has no X-Amz-Security-Token: S3 refuses it; presign with the session token too")
	}
}

func validSignedHeaders(h []string) bool {
	if len(h) == 0 {
		return false
	}
	for i, n := range h {
		if n == "" || n != strings.ToLower(n) || i > 0 && h[i-1] >= n {
			return false
		}
	}
	return true
}

func hexSignature(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// checkTime checks the lifetime against S3's limits, the clock and the
// guideline of the operation.
func (in *Inspection) checkTime() {
	maxSeconds := int64(sigv4.MaxExpires / time.Second)
	switch {
	case in.LifetimeSeconds > maxSeconds:
		in.add(SeverityError, CodeLifetimeOver7Days, fmt.Sprintf("X-Amz-Expires is %s: S3 refuses lifetimes over 604800 seconds (7 days) with AuthorizationQueryParametersError", lifetimeText(in.LifetimeSeconds)))
	case in.Expired():
		in.add(SeverityError, CodeExpired, fmt.Sprintf("expired %s ago, at %s: S3 answers 403 AccessDenied \"Request has expired\"; make a new URL",
			fmtDuration(in.Now.Sub(in.ExpiresAt)), fmtTime(in.ExpiresAt)))
	case in.SignedAt.After(in.Now.Add(maxClockSkew)):
		in.add(SeverityError, CodeNotYetValid, fmt.Sprintf("signed %s in the future (at %s): S3 refuses it as \"Request is not yet valid\"; the signing machine's clock is probably fast",
			fmtDuration(in.SignedAt.Sub(in.Now)), fmtTime(in.SignedAt)))
	}
	if in.LifetimeSeconds <= maxSeconds {
		cat := in.category()
		if in.LifetimeSeconds > cat.limit {
			in.add(SeverityWarning, CodeLifetimeOverGuide, fmt.Sprintf("lives %s; the guideline for %s is %s: %s",
				fmtDuration(in.Lifetime()), cat.name, cat.limitText, cat.why))
		}
	}
	if in.SessionToken {
		msg := "signed with temporary credentials (X-Amz-Security-Token): the URL stops working when they expire, typically within 1 to 12 hours, whatever X-Amz-Expires says"
		if in.Lifetime() > 12*time.Hour {
			msg = fmt.Sprintf("signed with temporary credentials (X-Amz-Security-Token): its lifetime of %s will not be reached, as the URL stops working when they expire (at most 36 hours; 12 for an assumed role)", fmtDuration(in.Lifetime()))
		}
		in.add(SeverityWarning, CodeTemporary, msg)
	}
}

func lifetimeText(s int64) string {
	if s >= 1<<40 {
		return "more seconds than any clock counts"
	}
	return fmt.Sprintf("%d seconds (%s)", s, fmtDuration(time.Duration(s)*time.Second))
}

// checkEndpoint checks the scheme, the host and the addressing.
func (in *Inspection) checkEndpoint() {
	if in.Scheme == "http" && !loopback(in.hostname) {
		in.add(SeverityWarning, CodePlainHTTP, "plain http: the URL and the data travel unencrypted, and anyone on the way can reuse the URL until it expires; use https")
	}
	if in.HostRegion != "" && in.Scope.Region != in.HostRegion && in.Algorithm != algorithmECDSA {
		in.add(SeverityError, CodeRegionMismatch, fmt.Sprintf("signed for region %s, but the host is in %s: S3 refuses it (AuthorizationQueryParametersError, \"the region '%s' is wrong\"); presign for the bucket's region",
			in.Scope.Region, in.HostRegion, in.Scope.Region))
	}
	if in.EndpointKind == EndpointWebsite {
		in.add(SeverityError, CodeWebsiteEndpoint, "the host is an S3 website endpoint, which serves only public objects and ignores signatures; use the REST endpoint, s3."+or(in.HostRegion, "REGION")+".amazonaws.com")
	}
	if in.Bucket == "" {
		in.add(SeverityError, CodeNoBucket, "the URL names no bucket: neither the host nor the path does")
		return
	}
	aws := in.EndpointKind != EndpointCustom && in.EndpointKind != EndpointAWSOther
	if aws && in.Addressing == AddressingPath && virtualHostable(in.Bucket) {
		in.add(SeverityWarning, CodePathStyle, fmt.Sprintf("a path-style URL: AWS serves buckets created since 30 September 2020 only virtual-hosted, so for a newer bucket use https://%s.%s/%s",
			in.Bucket, in.awsHostFor(), short(strings.TrimPrefix(in.RawPath, "/"+in.Bucket+"/"))))
	}
	if aws && in.Addressing == AddressingVirtual && strings.Contains(in.Bucket, ".") && in.Scheme == "https" {
		in.add(SeverityWarning, CodeDottedBucketTLS, fmt.Sprintf("the bucket name %q has dots, so the host is not covered by S3's *.s3 TLS certificate and clients refuse the connection; use a path-style URL for this bucket", in.Bucket))
	}
	if strings.Contains(in.RawPath, "+") {
		in.add(SeverityWarning, CodePlusInPath, "the path has a raw '+', which S3 may read as a space, so that the signature does not match; a '+' in a key is written %2B")
	}
}

// awsHostFor returns the regional host name of the URL's region.
func (in *Inspection) awsHostFor() string {
	region := or(in.HostRegion, in.Scope.Region)
	suffix := "amazonaws.com"
	if strings.HasSuffix(in.hostname, ".com.cn") {
		suffix = "amazonaws.com.cn"
	}
	return "s3." + region + "." + suffix
}

func or(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// virtualHostable reports whether bucket can be a TLS host name label.
func virtualHostable(bucket string) bool {
	if len(bucket) < 3 || len(bucket) > 63 || net.ParseIP(bucket) != nil {
		return false
	}
	for i := 0; i < len(bucket); i++ {
		c := bucket[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' && i > 0 && i < len(bucket)-1) {
			return false
		}
	}
	return true
}

func loopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checksumHeaders are the headers that pin an upload's content.
var checksumHeaders = []string{"content-md5", "x-amz-checksum-crc32", "x-amz-checksum-crc32c", "x-amz-checksum-crc64nvme",
	"x-amz-checksum-sha1", "x-amz-checksum-sha256"}

// checkHeaders checks what an upload signs and what is hoisted.
func (in *Inspection) checkHeaders() {
	signed := func(h string) bool { return slices.Contains(in.SignedHeaders, h) }
	pinned := slices.ContainsFunc(checksumHeaders, signed) ||
		in.PayloadHash != "" && hexSignature(strings.ToLower(in.PayloadHash))
	switch in.Operation {
	case "PutObject":
		if !signed("content-type") {
			in.add(SeverityWarning, CodeContentTypeUnsigned, "a PUT that does not sign Content-Type: the uploader can store any type, such as text/html that browsers run from your domain; sign it (presign url --content-type)")
		}
		fallthrough
	case "UploadPart":
		if !signed("content-length") && !pinned {
			in.add(SeverityWarning, CodeLengthUnsigned, "a PUT that does not sign Content-Length: the uploader can send any size, up to 5 GB; sign it (presign url --content-length) or a checksum")
		}
	}
	for _, p := range in.query {
		l := strings.ToLower(p.Name)
		if slices.Contains(checksumHeaders[1:], l) || l == "x-amz-sdk-checksum-algorithm" || l == "content-md5" {
			in.add(SeverityWarning, CodeChecksumInQuery, fmt.Sprintf("%s is in the query, not a header: S3 and other servers may ignore it there, so the upload is not checked against it; sign it as a header instead", p.Name))
		}
	}
	var hashes []string
	for _, p := range in.query {
		if strings.EqualFold(p.Name, pContentSHA256) && !slices.Contains(hashes, p.Value) {
			hashes = append(hashes, p.Value)
		}
	}
	if len(hashes) > 1 {
		in.add(SeverityError, CodePayloadConflict, "the query carries X-Amz-Content-Sha256 twice, in two cases, with different payload hashes ("+
			short(strings.Join(hashes, ", "))+"): servers disagree on which one counts, and S3-compatible ones refuse the URL")
	}
	if send := in.headersToSend(); len(send) > 0 && validSignedHeaders(in.SignedHeaders) {
		in.add(SeverityInfo, CodeHeadersToSend, "the request must send "+joinAnd(send)+" with exactly "+theValues(len(send))+
			" signed, which the URL does not say")
	}
}

// derSignature reports whether s is the lower-case hex of a DER-encoded
// P-256 ECDSA signature: a sequence of two integers, 8 to 72 bytes.
func derSignature(s string) bool {
	if len(s) < 16 || len(s) > 144 || len(s)%2 != 0 || strings.ToLower(s) != s {
		return false
	}
	b, err := hex.DecodeString(s)
	return err == nil && b[0] == 0x30 && int(b[1]) == len(b)-2
}
