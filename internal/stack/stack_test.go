package stack

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/objstore"
	"github.com/presign-dev/presign/s3server"
	"github.com/presign-dev/presign/sigv4"
)

var creds = sigv4.Credentials{AccessKeyID: "AKIDSTACK", SecretAccessKey: "secret"}

// TestLocal runs the embedded store as presign serve does and sends it a
// PUT and a GET through URLs of its backend's presigner.
func TestLocal(t *testing.T) {
	ctx := context.Background()
	local, err := OpenLocal(ctx, LocalConfig{Dir: t.TempDir(), Bucket: "uploads", Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	if local.Server.MaxHeaderBytes != s3server.MaxHeaderBytes || local.Server.ReadHeaderTimeout != StoreReadHeaderTimeout ||
		local.Server.ReadTimeout != 0 || local.Server.WriteTimeout != 0 {
		t.Errorf("store server settings: %+v", local.Server)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go local.Serve(ln)
	defer local.Server.Close()

	b, err := local.Backend("http://"+ln.Addr().String(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := StorageOrigins(b); len(got) != 1 || got[0] != "http://"+ln.Addr().String() {
		t.Errorf("StorageOrigins = %q", got)
	}
	put, err := b.Presigner.Presign(ctx, presign.PutObject, &presign.Input{Bucket: b.Bucket, Key: "k"}, presign.Options{})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(put.Method, put.URL, strings.NewReader("hello"))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("PUT: %s", res.Status)
	}
	get, err := b.Presigner.Presign(ctx, presign.GetObject, &presign.Input{Bucket: b.Bucket, Key: "k"}, presign.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err = http.Get(get.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || string(body) != "hello" {
		t.Errorf("GET: %s %q", res.Status, body)
	}
}

// TestOpenLocalErrors checks that each step's failure names the step.
func TestOpenLocalErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	first, err := OpenLocal(ctx, LocalConfig{Dir: dir, Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	var se *Error
	if _, err := OpenLocal(ctx, LocalConfig{Dir: dir, Credentials: creds}); !errors.As(err, &se) || se.Op != OpOpenStore || se.Name != dir {
		t.Errorf("a second store on one directory: %v", err)
	}
	_, err = OpenLocal(ctx, LocalConfig{Dir: t.TempDir(), Bucket: "Not_A_Bucket", Credentials: creds})
	if !errors.As(err, &se) || se.Op != OpCreateBucket || !errors.Is(err, objstore.ErrInvalidBucketName) {
		t.Errorf("an invalid bucket: %v", err)
	}
}

// TestMux checks which paths reach the API and which the pages.
func TestMux(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "api") })
	pages := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "pages") })
	m := Mux(api, pages)
	for path, want := range map[string]string{"/v1/uploads": "api", "/healthz": "api", "/readyz": "api", "/metrics": "api",
		"/openapi.json": "api", "/s3/params": "api", "/s3/multipart/x/1": "api", "/": "pages", "/inspect": "pages"} {
		w := httptest.NewRecorder()
		m.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if w.Body.String() != want {
			t.Errorf("%s went to %s, want %s", path, w.Body.String(), want)
		}
	}
}
