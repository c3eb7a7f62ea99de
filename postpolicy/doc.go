// Package postpolicy builds, signs and evaluates Amazon S3 POST policies:
// the browser form uploads of "Browser-Based Uploads Using POST (AWS
// Signature Version 4)".
//
// A POST policy is a JSON document, base64-encoded into the form's Policy
// field and signed with SigV4. It names when the form expires and the
// conditions every field of the form must meet: exact values, prefixes, and
// the size range of the uploaded file.
//
// # Building and signing
//
// [Sign] takes a [SignInput] (bucket, key, expiry, extra fields and
// [Condition]s, credentials, region, signing time and the form's URL) and
// returns a [Form]: the URL to post to and the [Fields] to send, in a
// stable order, with the policy document that was signed.
//
// A key containing "${filename}" is completed by S3 with the name of the
// uploaded file, so its condition becomes a starts-with on the part before
// "${filename}".
//
// The JSON is written with encoding/json, so names and values with quotes,
// backslashes, control characters and any Unicode round-trip exactly.
//
// # Profiles
//
// The official SDKs disagree on the shape of a form, and a [Profile]
// reproduces one byte for byte (fields, policy document and signature),
// as proven by vectors the real SDKs generated (conformance/):
//
//   - [ProfileJS] is createPresignedPost of @aws-sdk/s3-presigned-post: the
//     fields are the caller's, then bucket, X-Amz-Algorithm, X-Amz-Credential,
//     X-Amz-Date, X-Amz-Security-Token, key, Policy and X-Amz-Signature; every
//     field becomes an exact-match condition after the caller's conditions,
//     duplicates dropped; the JSON is compact; "${filename}" counts only at
//     the end of the key.
//   - [ProfileBotocore] is botocore's generate_presigned_post: lower-case
//     field names (x-amz-algorithm, policy, x-amz-signature, ...), no bucket
//     field, the caller's fields are not turned into conditions, the JSON is
//     Python's json.dumps (", " and ": " separators, non-ASCII escaped as
//     \uXXXX); "${filename}" counts only at the end of the key.
//   - [ProfileDefault] is the JS shape with the caller's input checked (a
//     field may not override bucket, key, Policy or the X-Amz-* fields) and
//     "${filename}" honoured anywhere in the key, as S3 honours it.
//
// Both SDKs write the expiration without milliseconds
// ("2026-01-15T13:00:00Z"); the parser also accepts the S3 documentation's
// "2015-12-30T12:00:00.000Z".
//
// This package does not know S3 endpoints: the form's URL is an input. The
// root package's Client.PresignPost resolves it with the same addressing as
// the presigner (virtual-hosted, path-style or a custom endpoint) and calls
// [Sign]; postpolicy itself depends only on the standard library and on the
// sigv4 and s3err packages of this module, so the root package can import it.
//
// # Evaluating a form
//
// The server side is [Evaluator.Evaluate]. It takes the form fields that
// came before the file part of a multipart/form-data body, in order, with
// the file's name, and checks them as S3 does: the signature (compared in
// constant time), the credentials and session token, the policy (parsed
// strictly by [Parse]: unknown or duplicate keys and malformed conditions
// are errors), its expiry, every condition, and that every field is allowed
// by some condition, except the ones S3 exempts: X-Amz-Signature, Policy,
// file and x-ignore-*. Field names are case-insensitive; values are not. A
// starts-with with an empty prefix allows any value, but a condition on a
// field the form lacks fails, that one too. A starts-with on Content-Type
// holding a comma-separated list needs every entry to match (S3's rule for
// a form that names several content types).
// "${filename}" in the key is replaced before the conditions are checked,
// so they see the key the object is stored under. Conditions on bucket are
// checked against the bucket the form was posted to. A field given twice
// is refused (S3's behaviour there is not documented; which value a
// condition covered would be ambiguous).
//
// The file itself is not read: [Evaluator.Evaluate] returns an [Upload]
// whose [Limits] the server applies to the bytes it streams, with
// [Limits.CheckSize] or [Limits.Reader], so nothing buffers the body.
//
// # Errors
//
// Errors from [Sign] are *[InputError]s, which start with "postpolicy: ",
// with the fix in a field of their own. Errors from [Parse],
// [Evaluator.Evaluate] and [Limits] are *[s3err.Error]s with S3's codes and
// messages: AccessDenied "Invalid according to Policy: Policy Condition
// failed: [...]", "Invalid according to Policy: Extra input fields: ...",
// "Invalid according to Policy: Policy expired."; InvalidPolicyDocument for
// a malformed policy; SignatureDoesNotMatch; InvalidArgument for a form that
// lacks a required field; EntityTooLarge and EntityTooSmall with the sizes.
package postpolicy
