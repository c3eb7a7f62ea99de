package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/presign-dev/presign"
)

// memoryLimit is the peak resident set the server may reach while 1 GiB
// goes through it: a resource bound, not a speed goal.
const memoryLimit = 100 << 20

// TestMemory uploads 1 GiB through a presigned PUT, streamed from a
// generator, to a server in a child process (command server, built
// without the race detector), downloads it back through a presigned GET
// hashing it on the fly, and checks the bytes and that the server's peak
// resident set (VmHWM) stayed under memoryLimit. The data lives in the
// test's temporary directory and is deleted after.
func TestMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 1 GiB through the server; skipped with -short")
	}
	const size = 1 << 30
	goBin := need(t, "go", inPath("go"), "install Go (the test builds s3server/e2e/server)")
	bin := filepath.Join(t.TempDir(), "server")
	build := time.Now()
	run(t, "", append(os.Environ(), "CGO_ENABLED=0"), goBin, "build", "-o", bin, "./server")
	t.Logf("built the server in %v", time.Since(build).Round(time.Millisecond))

	srv := startChild(t, bin)
	idle := srv.status(t)
	c := srv.presigner(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}

	// Sample VmRSS while the bytes flow, for the log; VmHWM is the bound.
	var samples []int64
	sampling, stopSampling := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-sampling.Done():
				return
			case <-tick.C:
				if st, err := readStatus(srv.PID); err == nil {
					samples = append(samples, st.rss)
				}
			}
		}
	}()
	stop := func() { stopSampling(); wg.Wait() }
	defer stop()

	// Up.
	put, err := c.Presign(ctx, presign.PutObject, &presign.Input{Bucket: srv.Bucket, Key: "big.bin"}, presign.Options{Expires: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	sent := sha256.New()
	req, err := http.NewRequestWithContext(ctx, put.Method, put.URL, io.TeeReader(&generator{n: size}, sent))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = size
	req.Header = put.HTTPHeader()
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("PUT: %s: %s", resp.Status, body)
	}
	upTime := time.Since(start)
	afterUp := srv.status(t)

	// Down.
	get, err := c.Presign(ctx, presign.GetObject, &presign.Input{Bucket: srv.Bucket, Key: "big.bin"}, presign.Options{Expires: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	resp, err = client.Get(get.URL)
	if err != nil {
		t.Fatal(err)
	}
	got := sha256.New()
	n, err := io.Copy(got, resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || n != size {
		t.Fatalf("GET: %s, %d bytes, %v", resp.Status, n, err)
	}
	downTime := time.Since(start)
	stop() // samples is the test's from here
	final := srv.status(t)

	if !bytes.Equal(got.Sum(nil), sent.Sum(nil)) {
		t.Errorf("the 1 GiB came back different: sha256 %x, sent %x", got.Sum(nil), sent.Sum(nil))
	}
	// The data goes now, not at the end of the test.
	del, err := c.Presign(ctx, presign.DeleteObject, &presign.Input{Bucket: srv.Bucket, Key: "big.bin"}, presign.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if req, err := http.NewRequestWithContext(ctx, del.Method, del.URL, nil); err == nil {
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
		}
	}

	var maxRSS int64
	for _, s := range samples {
		maxRSS = max(maxRSS, s)
	}
	mib := func(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
	t.Logf("server RSS: %s idle; peak (VmHWM) %s after the 1 GiB PUT, %s after the GET; highest VmRSS sampled %s (%d samples)",
		mib(idle.rss), mib(afterUp.hwm), mib(final.hwm), mib(maxRSS), len(samples))
	t.Logf("1 GiB PUT in %v (%.0f MiB/s), GET in %v (%.0f MiB/s), client and server on this machine",
		upTime.Round(time.Millisecond), float64(size>>20)/upTime.Seconds(), downTime.Round(time.Millisecond), float64(size>>20)/downTime.Seconds())
	if final.hwm >= memoryLimit {
		t.Errorf("the server's peak RSS was %s, over the bound of %s", mib(final.hwm), mib(memoryLimit))
	}
}

// child is the server of command server, running in a child process, as
// it describes itself on its first line of output.
type child struct {
	Endpoint string `json:"endpoint"`
	Bucket   string `json:"bucket"`
	PID      int    `json:"pid"`
}

// startChild starts the server binary with a data directory in the
// test's temporary directory, and stops it with the test.
func startChild(t *testing.T, bin string) *child {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	cmd := exec.CommandContext(ctx, bin, "-dir", t.TempDir(), "-lifetime", "4m")
	cmd.Env = append(os.Environ(), "PRESIGN_E2E_ACCESS_KEY_ID="+accessKeyID, "PRESIGN_E2E_SECRET_ACCESS_KEY="+secretKey)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close() // the server stops when its standard input closes
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		cancel()
		if t.Failed() {
			t.Logf("server stderr:\n%s", stderr.String())
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("server: %v\n%s", err, stderr.String())
	}
	var c child
	if err := json.Unmarshal([]byte(line), &c); err != nil {
		t.Fatalf("server printed %q: %v", line, err)
	}
	if c.PID != cmd.Process.Pid {
		t.Fatalf("server says pid %d, started %d", c.PID, cmd.Process.Pid)
	}
	return &c
}

func (c *child) presigner(t *testing.T) *presign.Client {
	return newPresigner(t, c.Endpoint, goodCreds, presign.ProfileDefault)
}

func (c *child) status(t *testing.T) procStatus {
	t.Helper()
	st, err := readStatus(c.PID)
	if err != nil {
		t.Fatalf("reading the server's memory: %v", err)
	}
	return st
}

// procStatus is a process's resident set now and at its peak, in bytes.
type procStatus struct{ rss, hwm int64 }

// readStatus reads VmRSS and VmHWM from /proc/PID/status (Linux).
func readStatus(pid int) (procStatus, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return procStatus{}, err
	}
	var st procStatus
	for _, line := range strings.Split(string(b), "\n") {
		name, val, ok := strings.Cut(line, ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		f := strings.Fields(val) // "12345 kB"
		if len(f) != 2 || f[1] != "kB" {
			return st, fmt.Errorf("%s: %q", name, val)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return st, err
		}
		if name == "VmRSS" {
			st.rss = kb << 10
		} else {
			st.hwm = kb << 10
		}
	}
	if st.rss == 0 || st.hwm == 0 {
		return st, fmt.Errorf("no VmRSS or VmHWM in /proc/%d/status", pid)
	}
	return st, nil
}

// generator reads n bytes made up as it goes: 1 MiB blocks of fixed
// pseudo-random bytes, each starting with its own index, so that a block
// lost, repeated or moved changes the hash.
type generator struct {
	n, off int64
	block  []byte // the current block
	index  int64  // its index; -1 before the first
	base   []byte
}

const genBlock = 1 << 20

func (g *generator) Read(p []byte) (int, error) {
	if g.off >= g.n {
		return 0, io.EOF
	}
	if g.base == nil {
		g.base = testData(genBlock, 42)
		g.block = make([]byte, genBlock)
		g.index = -1
	}
	if i := g.off / genBlock; i != g.index {
		copy(g.block, g.base)
		binary.BigEndian.PutUint64(g.block, uint64(i))
		g.index = i
	}
	within := g.off % genBlock
	n := copy(p, g.block[within:min(int64(genBlock), within+g.n-g.off)])
	g.off += int64(n)
	return n, nil
}
