// Command server runs the whole upload stack for the browser test, in one
// process, on 127.0.0.1 only: the embedded S3 store (objstore/disk behind
// s3server, with CORS for the page's origin), the URL-issuing API and the
// upload page (web) on one address, the store on another, assembled by
// internal/stack as presign serve assembles them.
//
// It prints one JSON line on standard output once both listen:
//
//	{"page":"http://127.0.0.1:PORT","storage":"http://127.0.0.1:PORT","deadStorage":"http://127.0.0.1:PORT",
//	 "bucket":"uploads","keys":{"web":"…",…},"dir":"…",
//	 "storeAccessKeyId":"…","storeSecretAccessKey":"…"}
//
// (the store's own key pair, for a test that configures it as the AWS CLI
// would: MinIO's with -minio)
//
// deadStorage is an origin the page may connect to where nothing listens.
//
// and stops by itself when standard input closes (its parent died or is
// done), on SIGINT or SIGTERM, or after -lifetime, whichever comes first.
// The data directory is a temporary one, removed at exit, unless -dir
// names one.
//
// The API keys, for the test's cases:
//
//	web    images, text/plain and application/octet-stream, up to 1 GiB;
//	       may also sign DELETE URLs (the inspector's URL builder)
//	tiny   at most 1 KiB
//	slow   one request a second, in bursts of one
//	uppy   images, text/plain and application/octet-stream, no size limit
//	       of its own (Uppy's signRequest mode then gets PUT URLs)
//
// With -minio BIN, the objects go to a MinIO server it runs (from the
// binary BIN) instead of the embedded store.
//
// With -static DIR, the files of DIR are served under /uppy/ on the
// page's address, the API's origin: the Uppy test's page and bundle.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"github.com/presign-dev/presign/credentials"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/presign-dev/presign/internal/e2eproc"
	"github.com/presign-dev/presign/internal/stack"
	"github.com/presign-dev/presign/issuer"
	"github.com/presign-dev/presign/s3server"
	"github.com/presign-dev/presign/sigv4"
	"github.com/presign-dev/presign/web"
)

const bucket = "uploads"

var (
	static   = flag.String("static", "", "serve this directory under /uppy/ on the page's address")
	minioBin = flag.String("minio", "", "store the objects on a MinIO server run from this binary, not on the embedded store")
)

func main() {
	e2eproc.Main(10*time.Minute, "presign-e2e-", run)
}

func run(env *e2eproc.Env) error {
	pageLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s3Ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	pageURL := "http://" + pageLn.Addr().String()
	storageURL := "http://" + s3Ln.Addr().String()
	// A port nothing listens on, which the page's CSP allows all the same:
	// the test's storage that is down.
	deadLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	deadURL := "http://" + deadLn.Addr().String()
	deadLn.Close()

	log := env.Log

	var backend *issuer.Backend
	var local *stack.Local
	var creds sigv4.Credentials // the store's
	if *minioBin != "" {
		// MinIO answers CORS for any origin by default, ETag exposed.
		s3Ln.Close()
		m, err := e2eproc.StartMinIO(*minioBin, filepath.Join(env.Dir, "minio"), nil)
		if err != nil {
			return err
		}
		defer m.Stop()
		if err := m.CreateBucket(env.Ctx, bucket); err != nil {
			return err
		}
		storageURL, creds = m.Endpoint, m.Credentials
		backend, err = stack.External(stack.ExternalConfig{Credentials: credentials.Static{AccessKeyID: m.Credentials.AccessKeyID, SecretAccessKey: m.Credentials.SecretAccessKey},
			Region: "us-east-1", Endpoint: m.Endpoint, PathStyle: true, Bucket: bucket})
		if err != nil {
			return err
		}
	} else {
		creds = sigv4.Credentials{AccessKeyID: "E2E" + e2eproc.RandomHex(8), SecretAccessKey: e2eproc.RandomHex(20)}
		local, err = stack.OpenLocal(env.Ctx, stack.LocalConfig{
			Dir:         env.Dir,
			Bucket:      bucket,
			Credentials: creds,
			CORS:        &s3server.CORS{AllowedOrigins: []string{pageURL}, MaxAge: 10 * time.Minute},
			Logger:      log,
		})
		if err != nil {
			return err
		}
		defer local.Close()
		if backend, err = local.Backend(storageURL, 0); err != nil {
			return err
		}
	}
	keys := map[string]string{"web": "psk_web_" + e2eproc.RandomHex(16), "tiny": "psk_tiny_" + e2eproc.RandomHex(16), "slow": "psk_slow_" + e2eproc.RandomHex(16),
		"uppy": "psk_uppy_" + e2eproc.RandomHex(16)}
	api, err := issuer.New(issuer.Options{
		Config: issuer.Config{
			Bucket:       bucket,
			UploadSecret: []byte(e2eproc.RandomHex(32)),
			Tenants: []issuer.Tenant{
				{Name: "web", KeySHA256: issuer.HashKey(keys["web"]), Prefix: "web",
					Operations:   []string{issuer.OpUpload, issuer.OpMultipart, issuer.OpDownload, issuer.OpDelete},
					ContentTypes: []string{"image/*", "text/plain", "application/octet-stream"}, MaxSize: 1 << 30},
				{Name: "tiny", KeySHA256: issuer.HashKey(keys["tiny"]), Prefix: "tiny", MaxSize: 1 << 10},
				{Name: "slow", KeySHA256: issuer.HashKey(keys["slow"]), Prefix: "slow", RateLimit: 1, Burst: 1},
				{Name: "uppy", KeySHA256: issuer.HashKey(keys["uppy"]), Prefix: "uppy",
					Operations:   []string{issuer.OpUpload, issuer.OpMultipart, issuer.OpDownload},
					ContentTypes: []string{"image/*", "text/plain", "application/octet-stream"}},
			},
		},
		Backend: backend,
		Log:     log,
	})
	if err != nil {
		return err
	}
	pages, err := web.New(web.Options{StorageOrigins: append(stack.StorageOrigins(backend), deadURL), Bucket: bucket})
	if err != nil {
		return err
	}

	var h http.Handler = stack.Mux(api, pages)
	if *static != "" {
		mux := http.NewServeMux()
		mux.Handle("/", h)
		mux.Handle("/uppy/", http.StripPrefix("/uppy/", http.FileServer(http.Dir(*static))))
		h = mux
	}
	servers := []*http.Server{stack.APIServer(h, log)}
	errc := make(chan error, 2)
	go func() { errc <- servers[0].Serve(pageLn) }()
	if local != nil {
		servers = append(servers, local.Server)
		go func() { errc <- local.Serve(s3Ln) }()
	}

	line, _ := json.Marshal(map[string]any{"page": pageURL, "storage": storageURL, "deadStorage": deadURL, "bucket": bucket, "keys": keys, "dir": env.Dir,
		"storeAccessKeyId": creds.AccessKeyID, "storeSecretAccessKey": creds.SecretAccessKey})
	fmt.Printf("%s\n", line)

	return e2eproc.Wait(env.Ctx, errc, servers...)
}
