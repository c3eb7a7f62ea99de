package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/presign-dev/presign/inspect"
)

// URLs the SDKs made (testdata/sdk), signed at 2026-01-15T12:00:00Z with
// the test credentials.
const (
	// jsGetURL is @aws-sdk/s3-request-presigner's GetObject, 15 minutes.
	jsGetURL = "https://examplebucket.s3.us-east-1.amazonaws.com/object.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD&X-Amz-Credential=AKIDEXAMPLE%2F20260115%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260115T120000Z&X-Amz-Expires=900&X-Amz-Signature=7268847e774b7a3e741748daad3df1f12f693ed4d60c85e5293adb796507407e&X-Amz-SignedHeaders=host&x-id=GetObject"
	// botoPutURL is botocore's PutObject with ContentType image/jpeg, 1 hour.
	botoPutURL = "https://examplebucket.s3.amazonaws.com/uploads/file.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20260115%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260115T120000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=content-type%3Bhost&X-Amz-Signature=030a1b8bc766953c6369b19372e38ed3511430d2e62840711c53771b084d8a07"
	// jsMultipartURL names an upload without saying which step.
	jsMultipartURL = "https://examplebucket.s3.us-east-1.amazonaws.com/object.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD&X-Amz-Credential=AKIDEXAMPLE%2F20260115%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260115T120000Z&X-Amz-Expires=900&X-Amz-Signature=7268847e774b7a3e741748daad3df1f12f693ed4d60c85e5293adb796507407e&X-Amz-SignedHeaders=host&uploadId=abc"
	soon           = "2026-01-15T12:01:00Z"
)

// errorBody returns a corpus error body from inspect/testdata/errors.
func errorBody(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join("..", "..", "inspect", "testdata", "errors", name+".xml")
}

func TestInspectVerifyDiagnoseCLI(t *testing.T) {
	testEnv(t)
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string // substrings
		stderr string   // substring
	}{
		{"inspect ok", []string{"inspect", jsGetURL, "--now", soon}, 0,
			[]string{"GetObject on examplebucket/object.txt: ok, expires in 14m", "X-Amz-Credential", "Signature Version 4"}, ""},
		{"inspect flags first", []string{"inspect", "--now", soon, "--method", "get", jsGetURL}, 0, []string{"(GET, as given)"}, ""},
		{"inspect expired", []string{"inspect", jsGetURL, "--now", "2026-01-15T13:00:00Z"}, 1,
			[]string{"expired 45m ago", "[expired]"}, "presign: the URL has expired (make a new one)"},
		{"inspect will fail", []string{"inspect", jsGetURL, "--now", soon, "--method", "PUT"}, 1,
			[]string{"[method-mismatch]"}, "presign: S3 will refuse this URL: method-mismatch (see the findings)"},
		{"inspect not presigned", []string{"inspect", "https://examplebucket.s3.amazonaws.com/k"}, 2, nil,
			"presign: the URL has no query: it is not presigned ("},
		{"inspect s3 uri", []string{"inspect", "s3://b/k"}, 2, nil, "is an S3 URI, not a presigned URL (presign url s3://b/k makes"},
		{"inspect cut", []string{"inspect", "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256"}, 2, nil, "unquoted & is lost"},
		{"inspect no url", []string{"inspect"}, 2, nil, "missing the URL argument"},
		{"inspect two urls", []string{"inspect", jsGetURL, jsGetURL}, 2, nil, "too many arguments"},
		{"inspect bad now", []string{"inspect", jsGetURL, "--now", "noon"}, 2, nil, `--now "noon" is not an RFC 3339 time`},
		{"inspect bad method", []string{"inspect", jsGetURL, "--method", "G E"}, 2, nil, `"G E" is not an HTTP method`},
		{"inspect unknown flag", []string{"inspect", jsGetURL, "--output", "json"}, 2, nil, "flag provided but not defined: --output"},
		{"inspect help", []string{"inspect", "-h"}, 0, []string{"Usage: presign inspect URL"}, ""},

		{"verify valid", []string{"verify", jsGetURL, "--now", soon}, 0,
			[]string{"valid: the signature is right for GET examplebucket/object.txt", "scope 20260115/us-east-1/s3/aws4_request"}, ""},
		{"verify explain", []string{"verify", jsGetURL, "--now", soon, "--explain"}, 0,
			[]string{"Canonical request:\nGET\n/object.txt\n", "String to sign:\nAWS4-HMAC-SHA256\n20260115T120000Z\n",
				"Signature computed: 7268847e774b7a3e741748daad3df1f12f693ed4d60c85e5293adb796507407e"}, ""},
		{"verify put with its header", []string{"verify", botoPutURL, "--now", soon, "--method", "PUT", "--header", "Content-Type=image/jpeg"}, 0,
			[]string{"valid:", "signed headers: content-type, host"}, ""},
		{"verify put with another type", []string{"verify", botoPutURL, "--now", soon, "--method", "PUT", "--header", "content-type=image/png"}, 1,
			[]string{"presign verify said: SignatureDoesNotMatch", "signed with Content-Type: image/jpeg, and the request"},
			"presign: the URL is not valid: SignatureDoesNotMatch (header-value)"},
		{"verify put as get", []string{"verify", botoPutURL, "--now", soon, "--header", "content-type=image/jpeg"}, 1,
			[]string{"SignatureDoesNotMatch"}, "the URL is not valid"},
		{"verify expired", []string{"verify", jsGetURL, "--now", "2026-01-15T14:00:00Z"}, 1,
			[]string{"AccessDenied: Request has expired", "1h45m late"}, "the URL is not valid: AccessDenied (expired)"},
		{"verify keys from flags", []string{"verify", jsGetURL, "--now", soon, "--access-key", testKeyID, "--secret-key", "other"}, 1,
			[]string{"[wrong-secret]"}, "SignatureDoesNotMatch (wrong-secret)"},
		{"verify other key", []string{"verify", jsGetURL, "--now", soon, "--access-key", "AKIAOTHER", "--secret-key", "s"}, 1, nil,
			"the URL was signed by AKIDEXAMPLE, but the credentials are for AKIAOTHER"},
		{"verify half keys", []string{"verify", jsGetURL, "--access-key", testKeyID}, 2, nil, "--access-key and --secret-key go together"},
		{"verify method unknown", []string{"verify", jsMultipartURL, "--now", soon}, 2, nil, "add --method POST, DELETE or GET"},
		{"verify bad header", []string{"verify", jsGetURL, "--header", "nocolon"}, 2, nil, `--header "nocolon" is not name=value`},

		{"diagnose file", []string{"diagnose", botoPutURL, "--response", errorBody(t, "synthetic-content-type-other-value"), "--now", soon}, 1,
			[]string{"S3 said: SignatureDoesNotMatch", "Likely cause: the URL signs content-type", "Canonical request: S3's and the one computed here are the same"},
			"presign: S3 refused the request: SignatureDoesNotMatch (likely cause: header-value)"},
		{"diagnose with secret", []string{"diagnose", botoPutURL, "--response", errorBody(t, "synthetic-content-type-other-value"), "--now", soon,
			"--access-key", testKeyID, "--secret-key", testSecret}, 1,
			[]string{"Likely cause: the URL was signed with Content-Type: image/jpeg"}, "likely cause: header-value"},
		{"diagnose with profile-less chain", []string{"diagnose", jsGetURL, "--response", errorBody(t, "synthetic-expired"), "--now", soon}, 1,
			[]string{"1h45m late"}, "AccessDenied (likely cause: expired)"},
		{"diagnose missing file", []string{"diagnose", jsGetURL, "--response", "nonexistent.xml"}, 2, nil, "cannot read --response nonexistent.xml"},
		{"diagnose not xml", []string{"diagnose", jsGetURL, "--response", "inspect_test.go"}, 2, nil, "not well-formed XML"},
		{"diagnose url and body on stdin", []string{"diagnose", "-"}, 2, nil, "standard input cannot hold both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", r.code, tt.code, r.stderr)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
				}
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, r.stderr)
			}
		})
	}
}

// runWith runs a command with stdin.
func runWith(t *testing.T, cmd command, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	s := streams{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb}
	switch c := cmd.(type) {
	case *inspectCommand:
		c.streams = s
	case *verifyCommand:
		c.streams = s
	case *diagnoseCommand:
		c.streams = s
		c.stdinTerminal = func() bool { return false }
	}
	code = report(&errb, cmd.Run(context.Background(), args))
	return code, out.String(), errb.String()
}

func TestInspectStdinAndJSON(t *testing.T) {
	testEnv(t)
	code, out, errs := runWith(t, newInspectCommand(streams{}), jsGetURL+"\n", "-", "--json", "--now", soon)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var in inspect.Inspection
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		t.Fatalf("not the inspection's JSON: %v\n%s", err, out)
	}
	if in.Operation != "GetObject" || in.Bucket != "examplebucket" || in.SecondsLeft != 840 || len(in.Params) != 8 || in.Status != inspect.StatusOK {
		t.Errorf("JSON: %+v", in)
	}
	var raw map[string]any
	json.Unmarshal([]byte(out), &raw)
	for _, k := range []string{"url", "method", "operation", "bucket", "key", "addressing", "endpoint", "accessKeyId", "scope",
		"signedAt", "lifetimeSeconds", "expiresAt", "signedHeaders", "sessionToken", "signature", "secondsLeft", "status", "parameters", "findings"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}

	if code, _, errs := runWith(t, newInspectCommand(streams{}), "\n", "-"); code != 2 || !strings.Contains(errs, "standard input has no URL") {
		t.Errorf("empty stdin: exit %d: %s", code, errs)
	}
}

func TestDiagnoseStdinAndJSON(t *testing.T) {
	testEnv(t)
	body, err := os.ReadFile(errorBody(t, "synthetic-key-double-encoded"))
	if err != nil {
		t.Fatal(err)
	}
	url := "https://examplebucket.s3.us-east-1.amazonaws.com/my%20file%20with%20spaces.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD&X-Amz-Credential=AKIDEXAMPLE%2F20260115%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260115T120000Z&X-Amz-Expires=900&X-Amz-Signature=fa91f49426f3a778db46e10506ab2a0424e13f39ea0d23bd7d43716f9417cd53&X-Amz-SignedHeaders=host&x-id=GetObject"
	code, out, errs := runWith(t, newDiagnoseCommand(streams{}), string(body), url, "--json", "--now", soon)
	if code != 1 || !strings.Contains(errs, "likely cause: key-encoding") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc diagnoseJSON
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("not the diagnosis JSON: %v\n%s", err, out)
	}
	d := doc.Diagnosis
	if d.Code != "SignatureDoesNotMatch" || d.Causes[0].Code != inspect.CauseKeyEncoding || d.CanonicalRequest == nil || d.CanonicalRequest.Equal() {
		t.Errorf("diagnosis: %+v", d)
	}

	c := newDiagnoseCommand(streams{}).(*diagnoseCommand)
	var out2, err2 bytes.Buffer
	c.streams = streams{stdout: &out2, stderr: &err2}
	c.stdinTerminal = func() bool { return true }
	if code := report(&err2, c.Run(context.Background(), []string{url})); code != 2 || !strings.Contains(err2.String(), "S3's error body is missing") {
		t.Errorf("terminal stdin: exit %d: %s", code, err2.String())
	}
}

// TestUsageNamesEveryFlagInspect checks that each command's usage names
// every flag it defines, and defines every flag it names.
func TestUsageNamesEveryFlagInspect(t *testing.T) {
	for _, tc := range []struct {
		usage string
		flags []string
	}{
		{inspectUsage, []string{"method", "json", "now"}},
		{verifyUsage, []string{"method", "header", "explain", "now", "profile", "access-key", "secret-key", "session-token"}},
		{diagnoseUsage, []string{"response", "method", "header", "json", "now", "profile", "access-key", "secret-key", "session-token"}},
	} {
		for _, f := range tc.flags {
			if !strings.Contains(tc.usage, "--"+f+" ") && !strings.Contains(tc.usage, "--"+f+"\n") {
				t.Errorf("usage %.30q does not name --%s", tc.usage, f)
			}
		}
	}
}

// TestInspectInTmux runs the built command in a real terminal, a tmux pane
// 80 columns wide, and checks that every line of presign inspect fits and
// the table is intact. It is skipped where tmux is not installed.
func TestInspectInTmux(t *testing.T) {
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux is not installed")
	}
	if testing.Short() {
		t.Skip("builds the command")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "presign")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// URLs with long, wide and hostile keys: CJK, emoji, a tab, an escape
	// sequence and a bidirectional override.
	urls := map[string]string{
		"js":      jsGetURL,
		"boto":    botoPutURL,
		"cjk":     "http://127.0.0.1:9000/examplebucket/%E8%B3%87%E6%96%99%202024/%E5%A0%B1%E5%91%8A%E6%9B%B8%20%28%E6%9C%80%E7%B5%82%29%E8%B3%87%E6%96%99%E8%B3%87%E6%96%99%E8%B3%87%E6%96%99%E8%B3%87%E6%96%99%E8%B3%87%E6%96%99%E8%B3%87%E6%96%99.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD&X-Amz-Credential=AKIDEXAMPLE%2F20260115%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260115T120000Z&X-Amz-Expires=900&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEXAMPLE%2F%2F%2F%2F%2F%2F%2F%2F%2F%2FwEaCXVzLWVhc3QtMSJHMEUCIQD%2Bex%2Fam%2Bple%3D%3D&X-Amz-Signature=7268847e774b7a3e741748daad3df1f12f693ed4d60c85e5293adb796507407e&X-Amz-SignedHeaders=host&x-id=GetObject",
		"hostile": "https://examplebucket.s3.us-east-1.amazonaws.com/emoji-%F0%9F%98%80%F0%9F%9A%80%F0%9F%98%80%F0%9F%9A%80%F0%9F%98%80%F0%9F%9A%80%F0%9F%98%80%F0%9F%9A%80%F0%9F%98%80%F0%9F%9A%80%F0%9F%98%80%F0%9F%9A%80%F0%9F%98%80%F0%9F%9A%80-tab%09%1B%5B31mred%E2%80%AEevil.png?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD&X-Amz-Credential=AKIDEXAMPLE%2F20260115%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260115T120000Z&X-Amz-Expires=604800&X-Amz-Signature=7268847e774b7a3e741748daad3df1f12f693ed4d60c85e5293adb796507407e&X-Amz-SignedHeaders=host%3Bx-amz-server-side-encryption-customer-algorithm&x-amz-server-side-encryption-customer-algorithm=AES256&response-content-disposition=attachment%3B%20filename%3D%22%E6%97%A5%E6%9C%AC%E8%AA%9E%E3%81%AE%E5%A0%B1%E5%91%8A%E6%9B%B8.pdf%22&x-id=PutObject",
	}
	socket := filepath.Join(dir, "tmux.sock")
	run := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, tmux, append([]string{"-S", socket, "-f", "/dev/null"}, args...)...).CombinedOutput()
		return string(out), err
	}
	t.Cleanup(func() { run("kill-server") })
	// A session that outlives the others keeps the server up between
	// subtests: a server whose last session ends exits, and a new session
	// started meanwhile can race with its exit.
	if out, err := run("new-session", "-d", "-s", "keeper", "sleep", "300"); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	for name, u := range urls {
		t.Run(name, func(t *testing.T) {
			urlFile := filepath.Join(dir, name+".url")
			done := filepath.Join(dir, name+".done")
			if err := os.WriteFile(urlFile, []byte(u+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			session := "inspect-" + name
			script := bin + " inspect - --now " + soon + " < " + urlFile + "; echo $? > " + done + "; sleep 60"
			var out string
			for try := 0; ; try++ {
				if out, err = run("new-session", "-d", "-s", session, "-x", "80", "-y", "50", "env", "TERM=xterm-256color", "LANG=C.UTF-8", "sh", "-c", script); err == nil {
					break
				}
				if try == 2 {
					t.Fatalf("tmux new-session: %v\n%s", err, out)
				}
				time.Sleep(200 * time.Millisecond)
			}
			defer run("kill-session", "-t", session)
			deadline := time.Now().Add(15 * time.Second)
			for {
				if _, err := os.Stat(done); err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("presign inspect did not finish in the pane within 15s")
				}
				time.Sleep(50 * time.Millisecond)
			}
			if w, err := run("display-message", "-p", "-t", session, "#{pane_width}"); err != nil || strings.TrimSpace(w) != "80" {
				t.Fatalf("pane width %q, %v", w, err)
			}
			// -J joins lines the terminal wrapped: a line longer than the
			// pane comes back longer than 80 columns. -S - starts at the
			// history's beginning, for output taller than the pane.
			screen, err := run("capture-pane", "-p", "-J", "-S", "-", "-t", session)
			if err != nil {
				t.Fatalf("capture-pane: %v\n%s", err, screen)
			}
			rows, err := run("capture-pane", "-p", "-S", "-", "-t", session)
			if err != nil {
				t.Fatalf("capture-pane: %v\n%s", err, rows)
			}
			// A line wider than the pane is wrapped over two rows, which -J
			// joins again: the two captures then differ in length.
			if a, b := strings.Count(strings.TrimRight(rows, "\n"), "\n"), strings.Count(strings.TrimRight(screen, "\n"), "\n"); a != b {
				t.Errorf("the terminal wrapped %d line(s): some line is wider than 80 columns:\n%s", a-b, rows)
			}
			checkScreen(t, screen, u)
		})
	}
}

// checkScreen checks a captured pane: no line wider than 80 columns, the
// summary and the parameter table intact, and nothing the URL held reached
// the terminal as a control sequence.
func checkScreen(t *testing.T, screen, rawURL string) {
	t.Helper()
	in, err := inspect.Parse(rawURL, "", time.Date(2026, 1, 15, 12, 1, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	want := in.TextLines()
	lines := strings.Split(strings.TrimRight(screen, "\n"), "\n")
	for i, l := range lines {
		if n := utf8.RuneCountInString(strings.TrimRight(l, " ")); n > 80 {
			t.Errorf("line %d is %d runes wide:\n%s", i+1, n, l)
		}
		if strings.ContainsAny(l, "\x1b\u202e\t") {
			t.Errorf("line %d holds a control character: %q", i+1, l)
		}
	}
	// The table: every line of the rendering is on screen, in order, and
	// each parameter name starts its row in column 3.
	at := 0
	for _, w := range want {
		w = strings.TrimRight(w, " ")
		found := false
		for at < len(lines) {
			got := strings.TrimRight(lines[at], " ")
			at++
			if got == w {
				found = true
				break
			}
		}
		if !found {
			t.Fatalf("the screen lacks the line %q (or has it out of order):\n%s", w, screen)
		}
	}
	for _, p := range in.Params {
		if len(p.Name) > 21 {
			continue
		}
		if !strings.Contains(screen, "\n  "+p.Name+strings.Repeat(" ", 22-len(p.Name))) {
			t.Errorf("no table row starts with %q:\n%s", p.Name, screen)
		}
	}
}
