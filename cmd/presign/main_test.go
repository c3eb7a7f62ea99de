package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Fixed credentials of the tests: the example key pair of the AWS docs.
const (
	testKeyID  = "AKIDEXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	testToken  = "IQoJb3JpZ2luX2VjEXAMPLETOKEN/+=session"
	testTime   = "2026-01-15T12:00:00Z"
)

// testEnv isolates the process environment from the machine's AWS setup:
// fixed environment credentials and region, empty shared files in a
// temporary directory, and IMDS disabled. It returns the directory, where
// the test may write config and credentials files.
func testEnv(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"config", "credentials"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range map[string]string{
		"HOME":                                   dir,
		"AWS_CONFIG_FILE":                        filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE":            filepath.Join(dir, "credentials"),
		"AWS_ACCESS_KEY_ID":                      testKeyID,
		"AWS_SECRET_ACCESS_KEY":                  testSecret,
		"AWS_SESSION_TOKEN":                      "",
		"AWS_REGION":                             "us-east-1",
		"AWS_DEFAULT_REGION":                     "",
		"AWS_PROFILE":                            "",
		"AWS_DEFAULT_PROFILE":                    "",
		"AWS_EC2_METADATA_DISABLED":              "true",
		"AWS_EC2_METADATA_SERVICE_ENDPOINT":      "",
		"AWS_METADATA_SERVICE_TIMEOUT":           "",
		"AWS_WEB_IDENTITY_TOKEN_FILE":            "",
		"AWS_ROLE_ARN":                           "",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI":     "",
		"AWS_DEFAULTS_MODE":                      "",
		"AWS_ENDPOINT_URL":                       "",
		"AWS_ENDPOINT_URL_S3":                    "",
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS":    "",
	} {
		t.Setenv(k, v)
	}
	return dir
}

// result is the outcome of one in-process run.
type result struct {
	code           int
	stdout, stderr string
	elapsed        time.Duration
}

// runCLI runs the command line in-process and checks what every run must
// satisfy: no secret in the output, and at most one line on stderr for
// an error.
func runCLI(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := run(context.Background(), args, &stdout, &stderr)
	r := result{code: code, stdout: stdout.String(), stderr: stderr.String(), elapsed: time.Since(start)}
	for _, secret := range []string{testSecret, "SECRETPROFILEKEY"} {
		if strings.Contains(r.stdout, secret) || strings.Contains(r.stderr, secret) {
			t.Errorf("presign %q printed a secret:\nstdout: %s\nstderr: %s", args, r.stdout, r.stderr)
		}
	}
	if code != 0 && len(args) > 0 { // with no arguments, the usage goes to stderr
		if strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "presign: ") {
			t.Errorf("presign %q: stderr is not one line starting with \"presign: \":\n%s", args, r.stderr)
		}
	}
	return r
}

func TestRunCommands(t *testing.T) {
	testEnv(t)
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   string // substring
		stderr   string // substring
		noStdout bool
	}{
		{name: "no arguments", args: nil, code: 2, stderr: "Usage:", noStdout: true},
		{name: "help", args: []string{"help"}, code: 0, stdout: "url "},
		{name: "-h", args: []string{"-h"}, code: 0, stdout: "presign help [command]"},
		{name: "help url", args: []string{"help", "url"}, code: 0, stdout: "Usage: presign url"},
		{name: "url -h", args: []string{"url", "-h"}, code: 0, stdout: "--checksum-sha256 FILE"},
		{name: "url --help after args", args: []string{"url", "PUT", "s3://b/k", "--help"}, code: 0, stdout: "Usage: presign url"},
		{name: "unknown command", args: []string{"sign"}, code: 2, stderr: `presign: unknown command "sign" (run 'presign help' for the list of commands)`, noStdout: true},
		{name: "help unknown", args: []string{"help", "sign"}, code: 2, stderr: "unknown command", noStdout: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", r.code, tt.code, r.stderr)
			}
			if !strings.Contains(r.stdout, tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, r.stdout)
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, r.stderr)
			}
			if tt.noStdout && r.stdout != "" {
				t.Errorf("stdout not empty:\n%s", r.stdout)
			}
		})
	}
}

func TestParseArgs(t *testing.T) {
	tests := []struct {
		args    []string
		pos     []string
		expires string
		meta    []string
		path    bool
	}{
		{args: []string{"PUT", "s3://b/k", "--expires", "1h"}, pos: []string{"PUT", "s3://b/k"}, expires: "1h"},
		{args: []string{"--expires=1h", "PUT", "s3://b/k"}, pos: []string{"PUT", "s3://b/k"}, expires: "1h"},
		{args: []string{"PUT", "--path-style", "s3://b/k", "-metadata", "a=1", "--metadata", "b=2"}, pos: []string{"PUT", "s3://b/k"}, meta: []string{"a=1", "b=2"}, path: true},
		{args: []string{"s3://b/k", "--", "--expires", "1h"}, pos: []string{"s3://b/k", "--expires", "1h"}},
		{args: []string{"--", "s3://b/-k"}, pos: []string{"s3://b/-k"}},
		{args: nil, pos: nil},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var f urlFlags
			pos, err := parseArgs(f.flagSet(), tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(pos, tt.pos) || f.expires != tt.expires || !slices.Equal(f.metadata, tt.meta) || f.pathStyle != tt.path {
				t.Errorf("got pos %q expires %q metadata %q path-style %v; want %q %q %q %v",
					pos, f.expires, f.metadata, f.pathStyle, tt.pos, tt.expires, tt.meta, tt.path)
			}
		})
	}
	var f urlFlags
	if _, err := parseArgs(f.flagSet(), []string{"s3://b/k", "--bogus"}); err == nil {
		t.Error("unknown flag after a positional argument: no error")
	}
	if _, err := parseArgs(f.flagSet(), []string{"s3://b/k", "-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h after a positional argument: %v, want flag.ErrHelp", err)
	}
}

// TestShellQuote checks that a POSIX shell reads each quoted string back
// as it was.
func TestShellQuote(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	for _, s := range []string{
		"plain", "", "with space", "it's", "'", "''", `a"b`, "$HOME", "`id`", "a\\b", "x;y&z|w", "*?[]",
		"https://b.s3.amazonaws.com/k?X-Amz-Credential=A%2Fb&X-Amz-Signature=00", "new\nline", "caf\u00e9 ☕",
	} {
		out, err := exec.Command(sh, "-c", "printf %s "+shellQuote(s)).Output()
		if err != nil || string(out) != s {
			t.Errorf("sh read shellQuote(%q) = %s as %q (%v)", s, shellQuote(s), out, err)
		}
	}
}

// TestURLUsageNamesEveryFlag keeps the hand-written help in step with the
// flags.
func TestURLUsageNamesEveryFlag(t *testing.T) {
	var f urlFlags
	f.flagSet().VisitAll(func(fl *flag.Flag) {
		if !strings.Contains(urlUsage, "--"+fl.Name+" ") {
			t.Errorf("urlUsage does not describe --%s", fl.Name)
		}
	})
}

// TestSuggestions: a mistyped command or flag gets "did you mean", and
// --version prints the build's version.
func TestSuggestions(t *testing.T) {
	testEnv(t)
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"uplod", "f"}, 2, "presign: unknown command \"uplod\" (did you mean 'presign upload'? 'presign help' lists the commands)\n"},
		{[]string{"frobnicate"}, 2, "presign: unknown command \"frobnicate\" (run 'presign help' for the list of commands)\n"},
		{[]string{"url", "s3://b/k", "--expire", "1h"}, 2, "presign: flag provided but not defined: --expire (did you mean --expires? see 'presign url -h')\n"},
		{[]string{"download", "--retires", "3", "http://x/y"}, 2, "presign: flag provided but not defined: --retires (did you mean --retries? see 'presign download -h')\n"},
		{[]string{"url", "s3://b/k", "--bogus"}, 2, "presign: flag provided but not defined: --bogus (see 'presign url -h')\n"},
	} {
		r := runCLI(t, tt.args...)
		if r.code != tt.code || r.stderr != tt.want {
			t.Errorf("%q: exit %d, stderr %q\nwant %d, %q", tt.args, r.code, r.stderr, tt.code, tt.want)
		}
	}
	r := runCLI(t, "--version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "presign ") || strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("--version: exit %d, %q", r.code, r.stdout)
	}
}
