package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestSigV2URL: presign inspect explains a Signature Version 2 URL made by
// real botocore and warns that it is legacy; presign verify checks it with
// the signer's key, and names the wrong secret as the likely cause.
func TestSigV2URL(t *testing.T) {
	testEnv(t)
	data, err := os.ReadFile("../../testdata/sdk/botocore-sigv2.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Credentials struct{ AccessKeyID, SecretAccessKey string }
		Cases       []struct {
			Output struct{ URL string } `json:"output"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	u := v.Cases[0].Output.URL
	r := runCLI(t, "inspect", "--now", "2026-01-15T12:05:00Z", u)
	if r.code != 0 || !strings.Contains(r.stdout, "Signature Version 2 (legacy)") || !strings.Contains(r.stdout, "[sigv2-legacy]") || !strings.Contains(r.stdout, "expires in 10m") {
		t.Fatalf("inspect: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, "verify", "--now", "2026-01-15T12:05:00Z", "--access-key", "AKIDSIGV2EXAMPLE", "--secret-key", "sigv2/Secret+Key/EXAMPLE0123456789abcdef", u)
	if r.code != 0 || !strings.Contains(r.stdout, "valid: the signature is right") || !strings.Contains(r.stdout, "Signature Version 2") {
		t.Fatalf("verify: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, "verify", "--now", "2026-01-15T12:05:00Z", "--access-key", "AKIDSIGV2EXAMPLE", "--secret-key", "not the secret", u)
	if r.code != 1 || !strings.Contains(r.stdout, "SignatureDoesNotMatch") || !strings.Contains(r.stdout, "[wrong-secret]") {
		t.Fatalf("verify with a wrong secret: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
