package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckConfigEveryMistake: --check-config on a file with a dozen
// mistakes of every kind (types, sizes, durations, a nested table, an
// unknown key, values the API refuses) reports each in one run, in plain
// words.
func TestCheckConfigEveryMistake(t *testing.T) {
	testEnv(t)
	path := filepath.Join(t.TempDir(), "bad.toml")
	conf := `addres = "127.0.0.1:8080"
bucket = "uploads"
cors_origins = "https://app.example.com"
trust_proxy = "yes"
multipart_threshold = "lots"
backend_timeout = "forever"
part_size = "1MiB"
upload_secret = "short"

[store]
data = 42

[[clients]]
name = "web"
key_sha256 = "abc"
prefix = "web"
operations = ["uplod"]
rate_limit = "fast"
max_size = "big"
`
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "serve", "--config", path, "--check-config")
	want := strings.ReplaceAll(`presign serve: 12 mistake(s) in the configuration:
  - PATH: cors_origins must be a list of strings, like cors_origins = ["https://app.example.com"]
  - PATH: multipart_threshold: "lots" is not a size such as 64MiB, 5MB or 1048576
  - PATH: trust_proxy must be true or false, like trust_proxy = true
  - PATH: backend_timeout: "forever" is not a duration such as 15m, 1h or 7d
  - PATH: store.data must be a string, like data = "..."
  - PATH: clients[1].max_size: "big" is not a size such as 64MiB, 5MB or 1048576
  - PATH: clients[1].rate_limit must be a number, like rate_limit = 20
  - PATH: unknown setting "addres" (did you mean addr?)
  - upload secret is 5 bytes: it must be at least 32 random bytes (shared by all replicas)
  - part size 1048576 is below S3's 5 MiB minimum
  - client 1 ("web"): key_sha256 must be the 64 hex digits of the key's SHA-256 (presign serve --hash-key prints it)
  - client 1 ("web"): unknown operation "uplod": use upload, multipart, download, delete or admin
`, "PATH", path)
	if r.code != 2 || r.stdout != want {
		t.Errorf("exit %d, stdout:\n%s\nwant:\n%s", r.code, r.stdout, want)
	}
}
