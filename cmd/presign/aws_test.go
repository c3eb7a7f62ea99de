package main

import (
	"encoding/json"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign/sigv4"
)

func writeFile(t *testing.T, name, text string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// credentialOf returns the access key id and region of a presigned URL.
func credentialOf(t *testing.T, raw string) (keyID, region string) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(u.Query().Get("X-Amz-Credential"), "/")
	if len(parts) != 5 {
		t.Fatalf("bad X-Amz-Credential in %s", raw)
	}
	return parts[0], parts[2]
}

func TestCredentialSources(t *testing.T) {
	profileCreds := sigv4.Credentials{AccessKeyID: "AKIDPROFILE", SecretAccessKey: "SECRETPROFILEKEY/abc", SessionToken: "PROFILETOKEN"}
	tests := []struct {
		name      string
		env       map[string]string
		args      []string
		keyID     string
		region    string
		temporary bool
	}{
		{name: "environment", args: nil, keyID: testKeyID, region: "us-east-1"},
		{name: "environment with session token", env: map[string]string{"AWS_SESSION_TOKEN": testToken},
			keyID: testKeyID, region: "us-east-1", temporary: true},
		{name: "--profile wins over the environment's keys, not its region", args: []string{"--profile", "other"},
			keyID: "AKIDPROFILE", region: "us-east-1", temporary: true},
		{name: "--profile region", env: map[string]string{"AWS_REGION": ""}, args: []string{"--profile", "other"},
			keyID: "AKIDPROFILE", region: "eu-west-1", temporary: true},
		{name: "--region wins over the profile", args: []string{"--profile", "other", "--region", "ap-southeast-2"},
			keyID: "AKIDPROFILE", region: "ap-southeast-2", temporary: true},
		{name: "AWS_PROFILE", env: map[string]string{"AWS_PROFILE": "other", "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_REGION": ""},
			keyID: "AKIDPROFILE", region: "eu-west-1", temporary: true},
		{name: "default profile and AWS_DEFAULT_REGION", env: map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_REGION": "", "AWS_DEFAULT_REGION": "sa-east-1"},
			keyID: "AKIDDEFAULT", region: "sa-east-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := testEnv(t)
			writeFile(t, filepath.Join(dir, "credentials"), `[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = SECRETPROFILEKEY/default

[other]
aws_access_key_id = AKIDPROFILE
aws_secret_access_key = SECRETPROFILEKEY/abc
aws_session_token = PROFILETOKEN
`)
			writeFile(t, filepath.Join(dir, "config"), "[profile other]\nregion = eu-west-1\n")
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			doc := jsonOutput(t, append([]string{"url", "s3://b/k"}, tt.args...)...)
			keyID, region := credentialOf(t, doc.URL)
			if keyID != tt.keyID || region != tt.region {
				t.Errorf("signed with %s in %s, want %s in %s", keyID, region, tt.keyID, tt.region)
			}
			token := new(url.URL)
			token.RawQuery = strings.SplitN(doc.URL, "?", 2)[1]
			if has := token.Query().Has("X-Amz-Security-Token"); has != tt.temporary {
				t.Errorf("X-Amz-Security-Token present: %v, want %v", has, tt.temporary)
			}
			creds := testCreds
			switch keyID {
			case "AKIDPROFILE":
				creds = profileCreds
			case "AKIDDEFAULT":
				creds = sigv4.Credentials{AccessKeyID: "AKIDDEFAULT", SecretAccessKey: "SECRETPROFILEKEY/default"}
			default:
				creds.SessionToken = tt.env["AWS_SESSION_TOKEN"]
			}
			verify(t, creds, doc.Method, doc.URL, doc.Headers)
		})
	}
}

// TestMissingCredentialsFailFast checks that a machine with no credentials
// gets the hint quickly, whether IMDS is disabled, refuses connections, or
// accepts them and never answers (a network that drops packets).
func TestMissingCredentialsFailFast(t *testing.T) {
	hang, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hang.Close()
	go func() {
		var held []net.Conn
		for {
			c, err := hang.Accept()
			if err != nil {
				for _, c := range held {
					c.Close()
				}
				return
			}
			held = append(held, c)
		}
	}()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusing := closed.Addr().String()
	closed.Close()

	tests := []struct {
		name  string
		env   map[string]string
		limit time.Duration
	}{
		{name: "IMDS disabled", env: map[string]string{"AWS_EC2_METADATA_DISABLED": "true"}, limit: time.Second},
		{name: "IMDS refuses", env: map[string]string{"AWS_EC2_METADATA_DISABLED": "", "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://" + refusing}, limit: 3 * time.Second},
		{name: "IMDS hangs", env: map[string]string{"AWS_EC2_METADATA_DISABLED": "", "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://" + hang.Addr().String()}, limit: 4 * time.Second},
		{name: "IMDS hangs, short timeout", env: map[string]string{"AWS_EC2_METADATA_DISABLED": "false", "AWS_METADATA_SERVICE_TIMEOUT": "0.3",
			"AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://" + hang.Addr().String()}, limit: 1500 * time.Millisecond},
		{name: "profile without credentials", env: map[string]string{"AWS_PROFILE": "empty"}, limit: time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := testEnv(t)
			writeFile(t, filepath.Join(dir, "config"), "[profile empty]\nregion = eu-west-1\n")
			t.Setenv("AWS_ACCESS_KEY_ID", "")
			t.Setenv("AWS_SECRET_ACCESS_KEY", "")
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			r := runCLI(t, "url", "s3://b/k", "--output", "json")
			if r.code != 1 {
				t.Errorf("exit %d, want 1", r.code)
			}
			for _, w := range []string{"no AWS credentials found", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "aws configure", "--profile"} {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("message lacks %q: %s", w, r.stderr)
				}
			}
			if r.stdout != "" {
				t.Errorf("stdout: %q", r.stdout)
			}
			if r.elapsed > tt.limit {
				t.Errorf("took %v, want under %v", r.elapsed, tt.limit)
			}
		})
	}
}

func TestAWSConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want []string
	}{
		{name: "no region", env: map[string]string{"AWS_REGION": ""}, code: 2,
			want: []string{"no AWS region is set", "--region", "AWS_REGION"}},
		{name: "unknown --profile", args: []string{"--profile", "nope"}, code: 2,
			want: []string{`AWS profile "nope" is not in the shared config or credentials files`, "(check --profile"}},
		{name: "unknown AWS_PROFILE", env: map[string]string{"AWS_PROFILE": "nope"}, code: 2, // as --profile
			want: []string{`AWS profile "nope"`, "AWS_PROFILE"}},
		{name: "a key id without its secret", env: map[string]string{"AWS_SECRET_ACCESS_KEY": ""}, code: 2,
			want: []string{"presign: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not (set AWS_SECRET_ACCESS_KEY too, or unset AWS_ACCESS_KEY_ID to use the profiles)"}},
		{name: "a secret without its key id", env: map[string]string{"AWS_ACCESS_KEY_ID": ""}, code: 2,
			want: []string{"presign: AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"}},
		{name: "expiry beyond temporary credentials", env: map[string]string{"AWS_SESSION_TOKEN": testToken}, args: []string{"--expires", "13h"}, code: 2,
			want: []string{"longer than the credentials allow", "(ask for at most 12h0m0s with --expires)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			r := runCLI(t, append([]string{"url", "s3://b/k"}, tt.args...)...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d: %s", r.code, tt.code, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("message lacks %q: %s", w, r.stderr)
				}
			}
		})
	}
}

// TestCredentialProcess checks that expiring credentials keep their expiry
// (a URL cannot outlive them) and that a failing credential_process is
// reported without quoting its output, which may hold a secret.
func TestCredentialProcess(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	expiry := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	good := `{"Version": 1, "AccessKeyId": "AKIDPROCESS", "SecretAccessKey": "SECRETPROFILEKEY/p", "SessionToken": "T", "Expiration": "` + expiry + `"}`
	tests := []struct {
		name    string
		process string
		args    []string
		code    int
		want    []string
	}{
		{name: "short enough", process: "printf '%s' '" + good + "'", args: []string{"--expires", "30m"}, code: 0},
		{name: "outlives the credentials", process: "printf '%s' '" + good + "'", args: []string{"--expires", "2h"}, code: 2,
			want: []string{"the credentials expire at " + expiry, "with --expires"}},
		{name: "invalid output", process: "echo SECRETPROFILEKEY is not JSON", code: 1,
			want: []string{"credential_process failed or printed no valid credentials", "(run the command yourself"}},
		{name: "failing", process: "exit 3", code: 1, want: []string{"credential_process"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := testEnv(t)
			script := filepath.Join(dir, "creds.sh")
			writeFile(t, script, tt.process+"\n")
			writeFile(t, filepath.Join(dir, "config"), "[profile proc]\nregion = eu-west-1\ncredential_process = sh "+script+"\n")
			r := runCLI(t, append([]string{"url", "s3://b/k", "--profile", "proc"}, tt.args...)...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d: %s", r.code, tt.code, r.stderr)
			}
			if tt.code == 0 {
				if keyID, _ := credentialOf(t, strings.TrimSpace(r.stdout)); keyID != "AKIDPROCESS" {
					t.Errorf("signed with %s", keyID)
				}
				return
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("message lacks %q: %s", w, r.stderr)
				}
			}
		})
	}
}

// TestEndpointSettings checks that url and post reach the endpoint the AWS
// configuration names, with the AWS SDKs' precedence: --endpoint, then
// AWS_ENDPOINT_URL_S3, the profile's services section, AWS_ENDPOINT_URL,
// the profile's endpoint_url; and none at all when configured endpoints
// are ignored.
func TestEndpointSettings(t *testing.T) {
	const config = `[default]
endpoint_url = http://global-profile.test:9000
services = local

[profile svc]
services = local

[services local]
s3 =
  endpoint_url = http://s3-profile.test:9000

[profile ignoring]
endpoint_url = http://global-profile.test:9000
ignore_configured_endpoint_urls = true
`
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string // the URL's scheme and host
	}{
		{"the profile's services section beats its endpoint_url", nil, nil, "http://s3-profile.test:9000"},
		{"AWS_ENDPOINT_URL_S3 beats the profile", map[string]string{"AWS_ENDPOINT_URL_S3": "http://s3-env.test:9000"}, nil, "http://s3-env.test:9000"},
		{"the services section beats AWS_ENDPOINT_URL", map[string]string{"AWS_ENDPOINT_URL": "http://global-env.test:9000"}, nil, "http://s3-profile.test:9000"},
		{"AWS_ENDPOINT_URL", map[string]string{"AWS_ENDPOINT_URL": "http://global-env.test:9000", "AWS_PROFILE": "ignoring", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false"}, nil, "http://global-env.test:9000"},
		{"--endpoint beats them all", map[string]string{"AWS_ENDPOINT_URL_S3": "http://s3-env.test:9000"}, []string{"--endpoint", "http://flag.test:9000"}, "http://flag.test:9000"},
		{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", map[string]string{"AWS_ENDPOINT_URL_S3": "http://s3-env.test:9000", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, nil, "https://s3.us-east-1.amazonaws.com"},
		{"the profile's ignore_configured_endpoint_urls", map[string]string{"AWS_PROFILE": "ignoring"}, nil, "https://s3.us-east-1.amazonaws.com"},
		{"a profile's own services section", map[string]string{"AWS_PROFILE": "svc"}, nil, "http://s3-profile.test:9000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := testEnv(t)
			writeFile(t, filepath.Join(dir, "config"), config)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			for _, cmd := range [][]string{{"url", "s3://b/k"}, {"post", "s3://b/k"}} {
				r := runCLI(t, append(append(cmd, tt.args...), "--output", "json", "--signing-time", testTime)...)
				if r.code != 0 {
					t.Fatalf("presign %s: exit %d: %s", cmd[0], r.code, r.stderr)
				}
				var doc struct{ URL string }
				if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
					t.Fatal(err)
				}
				u, err := url.Parse(doc.URL)
				if err != nil {
					t.Fatal(err)
				}
				if got := u.Scheme + "://" + u.Host; got != tt.want {
					t.Errorf("presign %s: URL %s, want it on %s", cmd[0], doc.URL, tt.want)
				}
				if tt.want != "https://s3.us-east-1.amazonaws.com" && u.Path != "/b" && !strings.HasPrefix(u.Path, "/b/") {
					t.Errorf("presign %s: a custom endpoint is path-style: %s", cmd[0], doc.URL)
				}
			}
		})
	}

	// A bad endpoint in the configuration says where it is set.
	testEnv(t)
	t.Setenv("AWS_ENDPOINT_URL_S3", "ftp://nope")
	r := runCLI(t, "url", "s3://b/k")
	if r.code == 0 || !strings.Contains(r.stderr, "AWS_ENDPOINT_URL_S3") || !strings.Contains(r.stderr, "ftp://nope") {
		t.Errorf("a bad AWS_ENDPOINT_URL_S3: exit %d: %s", r.code, r.stderr)
	}
}
