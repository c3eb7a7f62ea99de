// Command server runs the embedded S3 store alone (objstore/disk behind
// s3server, assembled by internal/stack as presign serve assembles it) on
// an ephemeral 127.0.0.1 port, for tests that need it in a
// process of its own: the memory test of s3server/e2e measures this
// process's resident set while a 1 GiB object goes through it.
//
// It prints one JSON line on standard output once it listens:
//
//	{"endpoint":"http://127.0.0.1:PORT","region":"us-east-1","bucket":"e2e",
//	 "accessKeyId":"…","secretAccessKey":"…","dir":"…","pid":1234}
//
// and stops by itself when standard input closes (its parent died or is
// done), on SIGINT or SIGTERM, or after -lifetime, whichever comes first.
// The data directory is a temporary one, removed at exit, unless -dir
// names one (which is then kept).
//
// The credentials are PRESIGN_E2E_ACCESS_KEY_ID and
// PRESIGN_E2E_SECRET_ACCESS_KEY when set, random ones otherwise.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/presign-dev/presign/internal/e2eproc"
	"github.com/presign-dev/presign/internal/stack"
	"github.com/presign-dev/presign/s3server"
	"github.com/presign-dev/presign/sigv4"
)

func main() {
	bucket := flag.String("bucket", "e2e", "bucket to create at start")
	e2eproc.Main(5*time.Minute, "presign-s3e2e-", func(env *e2eproc.Env) error { return run(env, *bucket) })
}

func run(env *e2eproc.Env, bucket string) error {
	creds := sigv4.Credentials{
		AccessKeyID:     os.Getenv("PRESIGN_E2E_ACCESS_KEY_ID"),
		SecretAccessKey: os.Getenv("PRESIGN_E2E_SECRET_ACCESS_KEY"),
	}
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		creds = sigv4.Credentials{AccessKeyID: "E2E" + e2eproc.RandomHex(8), SecretAccessKey: e2eproc.RandomHex(20)}
	}
	local, endpoint, errc, err := stack.OpenLoopback(env.Ctx, stack.LocalConfig{Dir: env.Dir, Bucket: bucket, Credentials: creds, Logger: env.Log})
	if err != nil {
		return err
	}
	defer local.Close()

	line, err := json.Marshal(map[string]any{
		"endpoint": endpoint, "region": s3server.DefaultRegion, "bucket": bucket,
		"accessKeyId": creds.AccessKeyID, "secretAccessKey": creds.SecretAccessKey,
		"dir": env.Dir, "pid": os.Getpid(),
	})
	if err != nil {
		return err
	}
	fmt.Printf("%s\n", line)

	return e2eproc.Wait(env.Ctx, errc, local.Server)
}
