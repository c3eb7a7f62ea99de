// Package inspect reads a presigned Amazon S3 URL and says what it does and
// why it may fail: every X-Amz-* parameter decoded and explained, the bucket,
// key, addressing style, operation, expiry and the risks of the URL; and,
// given S3's error response, why S3 refused it.
//
// It uses only the standard library and presign's core packages, and no
// credentials unless asked to check a signature.
//
// # Inspecting
//
// [Parse] splits a URL into an [Inspection]: facts ([Inspection.Bucket],
// [Inspection.SignedAt], [Inspection.SignedHeaders], ...), one [Param] per
// query parameter with its meaning, and [Finding]s: the reasons the URL is
// risky (warnings) or will fail (errors), each with a stable [Code] and a
// sentence for people. The command line, its JSON output and a web page all
// render the same data; [Inspection.WriteText] is the terminal rendering.
//
// # Checking the signature
//
// A presigned URL carries its signature but not the method or the values of
// the headers it signs. [Inspection.Canonical] computes the canonical request
// and string to sign S3 derives from the URL sent with a method and headers;
// it needs no secret. [Inspection.Verify] checks the signature with
// credentials, as S3 would.
//
// # Diagnosing a refusal
//
// [ParseErrorXML] reads S3's <Error> document strictly. [Diagnose] explains
// it: for SignatureDoesNotMatch it diffs S3's canonical request and string to
// sign against the ones computed here, line by line, and names the likely
// cause (a header sent with another value than signed, a header missing, the
// key encoded differently, the wrong secret or region); for expired URLs,
// skewed clocks, expired credentials and malformed query parameters it says
// by how much and what to change.
package inspect
