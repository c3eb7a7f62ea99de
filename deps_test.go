package presign

import (
	"os/exec"
	"strings"
	"testing"
)

// TestCoreUsesStdlibOnly checks that the core packages (signing, the
// presigner, credentials, POST policies, S3 errors) import nothing but the
// standard library and each other: dependencies belong to the CLI and the
// service, and comparison peers to the bench/ module.
func TestCoreUsesStdlibOnly(t *testing.T) {
	core := []string{".", "./sigv4", "./sigv2", "./credentials", "./s3err", "./postpolicy", "./inspect"}
	for _, pkg := range core {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg).CombinedOutput()
		if err != nil {
			if strings.Contains(string(out), "cannot find") || strings.Contains(string(out), "no Go files") || strings.Contains(string(out), "does not contain package") {
				continue // postpolicy may not exist yet
			}
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if !strings.HasPrefix(dep, "github.com/presign-dev/presign") || strings.Contains(dep, "/cmd/") {
				t.Errorf("%s depends on %s", pkg, dep)
			}
		}
	}
}
