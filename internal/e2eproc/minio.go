package e2eproc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/presign-dev/presign/sigv4"
)

// MinIO is a real MinIO server the end-to-end tests run, on 127.0.0.1 and
// a data directory of its own: the S3-compatible cluster presign serve
// points at for scale.
type MinIO struct {
	// Endpoint is its S3 address, http://127.0.0.1:PORT.
	Endpoint string
	// Credentials are its root user's.
	Credentials sigv4.Credentials
	cmd         *exec.Cmd
	out         *bytes.Buffer
	exited      chan struct{}
}

// StartMinIO runs "bin server" on dir and two free ports, in a process
// group of its own, and waits, at most 90 seconds, until it is live; a
// port taken by someone else in between gets one more try with new ones.
// env is its environment, before MinIO's own settings; nil means this
// process's. Stop it with [MinIO.Stop].
func StartMinIO(bin, dir string, env []string) (*MinIO, error) {
	return StartMinIODrives(bin, dir, env, 1)
}

// StartMinIODrives is [StartMinIO] with drives drives (directories of dir)
// in one erasure set when drives > 1: "minio server DIR/d{1...N}", the
// erasure-coded layout of a production server, on one machine.
func StartMinIODrives(bin, dir string, env []string, drives int) (*MinIO, error) {
	creds := sigv4.Credentials{AccessKeyID: "e2eadmin" + RandomHex(4), SecretAccessKey: RandomHex(20)}
	var last string
	for try := 0; try < 2; try++ {
		port, err1 := freePort()
		console, err2 := freePort()
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		m := &MinIO{Endpoint: "http://127.0.0.1:" + port, Credentials: creds, out: &bytes.Buffer{}, exited: make(chan struct{})}
		data := filepath.Join(dir, fmt.Sprint("data", try))
		if drives > 1 {
			data = filepath.Join(data, fmt.Sprintf("d{1...%d}", drives))
		}
		m.cmd = exec.Command(bin, "server", data, "--address", "127.0.0.1:"+port,
			"--console-address", "127.0.0.1:"+console, "--quiet")
		if env == nil {
			env = os.Environ()
		}
		m.cmd.Env = append(env[:len(env):len(env)],
			"MINIO_ROOT_USER="+creds.AccessKeyID, "MINIO_ROOT_PASSWORD="+creds.SecretAccessKey,
			"MINIO_BROWSER=off", "MINIO_UPDATE=off", "MINIO_CI_CD=1", "HOME="+dir)
		m.cmd.Stdout, m.cmd.Stderr = m.out, m.out
		m.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := m.cmd.Start(); err != nil {
			return nil, fmt.Errorf("starting minio: %w", err)
		}
		go func() { m.cmd.Wait(); close(m.exited) }()
		deadline := time.Now().Add(90 * time.Second)
		for time.Now().Before(deadline) {
			if resp, err := http.Get(m.Endpoint + "/minio/health/live"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return m, nil
				}
			}
			select {
			case <-m.exited:
				deadline = time.Time{}
			case <-time.After(100 * time.Millisecond):
			}
		}
		m.Stop()
		last = m.out.String()
	}
	return nil, fmt.Errorf("minio did not become live within 90s (two tries):\n%s", last)
}

// Stop ends MinIO: SIGTERM to its process group, SIGKILL after 10 s.
func (m *MinIO) Stop() error {
	pgid := m.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-m.exited:
		syscall.Kill(-pgid, syscall.SIGKILL) // any child left behind
		return nil
	case <-time.After(10 * time.Second):
	}
	syscall.Kill(-pgid, syscall.SIGKILL)
	<-m.exited
	return errors.New("minio did not stop within 10s of SIGTERM; killed")
}

// Output is what MinIO printed; read it once MinIO has stopped.
func (m *MinIO) Output() string { return m.out.String() }

// CreateBucket creates a bucket with a header-signed PUT /bucket, as the
// S3 API has it (presign presigns no CreateBucket). A MinIO that answers
// 503 (live but not initialized yet) is asked again, for up to 30 s.
func (m *MinIO) CreateBucket(ctx context.Context, bucket string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		err, retry := m.createBucket(ctx, bucket)
		if !retry || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (m *MinIO) createBucket(ctx context.Context, bucket string) (err error, retry bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, m.Endpoint+"/"+bucket, nil)
	if err != nil {
		return err, false
	}
	sr, err := sigv4.RequestFromHTTP(req, nil)
	if err != nil {
		return err, false
	}
	signed, err := sigv4.DefaultSigner.Sign(&sigv4.SignInput{Request: sr, Credentials: m.Credentials, Region: "us-east-1",
		Service: "s3", Time: time.Now(), ContentSHA256Header: true})
	if err != nil {
		return err, false
	}
	req.Header.Set("Authorization", signed.Authorization)
	req.Header.Set("X-Amz-Date", signed.Date)
	req.Header.Set("X-Amz-Content-Sha256", signed.ContentSHA256)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err, false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("creating bucket %s on minio: %d %s", bucket, resp.StatusCode, strings.TrimSpace(string(b))), resp.StatusCode == http.StatusServiceUnavailable
	}
	return nil, false
}

// freePort returns a port nothing listens on at the moment.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	return port, err
}
