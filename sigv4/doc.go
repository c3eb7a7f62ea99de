// Package sigv4 implements AWS Signature Version 4: the canonical request,
// the string to sign, signing-key derivation (with a cache), header signing,
// query presigning, and verification of both.
//
// It is the one owner of SigV4 in presign: credential scopes
// ([ParseCredential], [Scope]), derived keys and their cache
// ([Signer.SigningKey]), the percent-encoding ([AppendEscape]), the
// signature of a string ([SignString], [CheckString]) and the redaction of
// signed URLs ([RedactURL]). The S3 presigner in the root package, the POST
// policy package, the inspector and the embedded server build on it.
//
// Signing knows nothing of S3 beyond what SigV4 itself needs. The
// [Verifier] is S3's: it refuses requests the way S3 does, with S3's error
// codes, messages and details as [s3err.Error] values.
//
// # One canonicalisation, two directions
//
// [Signer] and [Verifier] share a single implementation of the canonical
// request, so whatever the signer produces the verifier accepts, and a
// mismatch the verifier reports shows exactly the canonical request and
// string to sign it computed, as S3 does. Because they share it, the tests
// keep a plain twin written only for clarity (reference_test.go), fuzzed
// against the fast one.
//
// # Paths
//
// S3 signs the path as sent, each byte of the decoded key percent-encoded
// once, with no normalisation: "a//b/../c" stays as it is. That is the zero
// value of the options here. Other AWS services encode the escaped path a
// second time and normalise it; set [SignInput.DoubleEncodePath] and
// [SignInput.NormalizePath] for those (the official test suite uses them).
//
// # Time
//
// Signing takes the signing time as an argument, and [Verifier.Now] is
// injectable, so every signature is reproducible in tests.
package sigv4
