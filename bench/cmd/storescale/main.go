// Command storescale measures the embedded store at scale (issue 14): it
// fills a data directory with many small objects over many prefixes, then
// starts the embedded store (objstore/disk behind s3server, assembled as
// presign serve assembles it) in a process of its own and reports
//
//   - the cold start: from exec to listening, and to the first GET
//     answered, with the page cache dropped first where the machine allows;
//   - the server's resident memory after start and its peak during a full
//     listing (VmHWM), split into anonymous memory and file pages (the
//     index is a memory-mapped file: its pages are page cache);
//   - the time to list one prefix of 1,000 keys, cold and warm;
//   - small-object PUT and GET requests per second through presigned URLs
//     at -conns connections, against the store and against a real MinIO
//     started in the same run on the same disk, in -rounds rounds that
//     take turns (presign first, then MinIO first), since this machine's
//     disk is slower after a few seconds of writes than before.
//
// Usage (from bench/):
//
//	go run ./cmd/storescale -dir /var/tmp/scale -objects 1000000 -prefixes 1000
//
// The filled directory is kept (DIR/data), so a second run skips the fill.
// MinIO is $(go env GOPATH)/bin/minio, which scripts/install-deps.sh
// builds; -minio "" skips it.
package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/presign-dev/presign/internal/e2eproc"
	"github.com/presign-dev/presign/internal/stack"
	"github.com/presign-dev/presign/objstore"
	"github.com/presign-dev/presign/objstore/disk"
	"github.com/presign-dev/presign/sigv4"
)

const (
	bucket = "scale"
	region = "us-east-1"
)

var creds = sigv4.Credentials{AccessKeyID: "SCALEBENCHKEY", SecretAccessKey: "scale-bench-secret-not-a-real-one"}

func main() {
	dir := flag.String("dir", "", "data directory, kept between runs (required)")
	objects := flag.Int("objects", 1_000_000, "objects to fill")
	prefixes := flag.Int("prefixes", 1000, "prefixes the objects are spread over")
	size := flag.Int("size", 16, "bytes per filled object")
	workers := flag.Int("fill-workers", 16, "concurrent writers while filling")
	conns := flag.Int("conns", 16, "connections of the PUT and GET load")
	loadSize := flag.Int("load-size", 4096, "bytes per object of the PUT and GET load")
	duration := flag.Duration("duration", 10*time.Second, "length of each load run; 0 skips the load")
	rounds := flag.Int("rounds", 1, "load rounds, each running both servers in turns (presign first, then MinIO first, ...)")
	minioBin := flag.String("minio", defaultMinIO(), "MinIO binary; empty skips MinIO")
	serve := flag.String("serve", "", "internal: run the store on this data directory")
	flag.Parse()
	if *serve != "" {
		if err := runServer(*serve); err != nil {
			log.Fatal(err)
		}
		return
	}
	if *dir == "" {
		log.Fatal("give -dir, a directory to fill (it is kept)")
	}
	data := filepath.Join(*dir, "data")
	if err := fill(data, *objects, *prefixes, *size, *workers); err != nil {
		log.Fatal(err)
	}
	dropped := dropCaches()
	fmt.Printf("page cache dropped before start: %v\n", dropped)

	srv, err := startServer(data)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.stop()
	fmt.Printf("start: listening %v after exec, first GET answered %v after exec\n", srv.listening.Round(time.Millisecond), srv.firstGet.Round(time.Millisecond))
	m := srv.memory()
	fmt.Printf("memory after start: VmRSS %s (anon %s, file %s), VmHWM %s\n", mib(m["VmRSS"]), mib(m["RssAnon"]), mib(m["RssFile"]), mib(m["VmHWM"]))

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conns, MaxConnsPerHost: *conns}}
	prefix := fmt.Sprintf("p%04d/", *prefixes/2)
	cold, n, err := listPrefix(client, srv.endpoint, prefix)
	if err != nil {
		log.Fatal(err)
	}
	var warm []time.Duration
	for range 21 {
		d, _, err := listPrefix(client, srv.endpoint, prefix)
		if err != nil {
			log.Fatal(err)
		}
		warm = append(warm, d)
	}
	slices.Sort(warm)
	fmt.Printf("list prefix %s (%d keys, one request): cold %v, warm median %v (min %v)\n", prefix, n, cold.Round(time.Microsecond), warm[len(warm)/2].Round(time.Microsecond), warm[0].Round(time.Microsecond))

	full, total, err := listAll(client, srv.endpoint)
	if err != nil {
		log.Fatal(err)
	}
	m = srv.memory()
	fmt.Printf("full listing: %d keys in %v (pages of 1,000); after it VmRSS %s (anon %s, file %s), peak VmHWM %s\n",
		total, full.Round(time.Millisecond), mib(m["VmRSS"]), mib(m["RssAnon"]), mib(m["RssFile"]), mib(m["VmHWM"]))

	if *duration == 0 {
		srv.stop()
		if err := listInProcess(data, prefix); err != nil {
			log.Fatal(err)
		}
		return
	}
	body := bytes.Repeat([]byte("x"), *loadSize)
	var mi *e2eproc.MinIO
	if *minioBin != "" {
		mdir := filepath.Join(*dir, "minio")
		os.RemoveAll(mdir)
		os.MkdirAll(mdir, 0o700)
		if mi, err = e2eproc.StartMinIO(*minioBin, mdir, nil); err != nil {
			log.Fatal(err)
		}
		defer mi.Stop()
		if err := mi.CreateBucket(context.Background(), bucket); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Printf("\nload: %d connections, %d-byte objects, %v each, presigned URLs (one per request), %d rounds\n", *conns, *loadSize, *duration, *rounds)
	var putRatios, getRatios []float64
	for r := range *rounds {
		// Each round runs both servers, in turns: presign first in even
		// rounds, MinIO first in odd ones, so that neither always meets
		// the disk after the other's writes.
		var pp, gp, mp, mg float64
		runPresign := func() { pp, gp = load(client, srv.endpoint, creds, body, *conns, *duration) }
		runMinIO := func() {
			if mi != nil {
				mp, mg = load(client, mi.Endpoint, mi.Credentials, body, *conns, *duration)
			}
		}
		if r%2 == 0 {
			runPresign()
			runMinIO()
		} else {
			runMinIO()
			runPresign()
		}
		fmt.Printf("round %d: presign store PUT %.0f req/s, GET %.0f req/s", r+1, pp, gp)
		if mi != nil {
			fmt.Printf("; MinIO PUT %.0f req/s, GET %.0f req/s; ratio PUT %.2fx, GET %.2fx", mp, mg, pp/mp, gp/mg)
			putRatios, getRatios = append(putRatios, pp/mp), append(getRatios, gp/mg)
		}
		fmt.Println()
	}
	m = srv.memory()
	fmt.Printf("presign store after load: VmRSS %s (anon %s, file %s), VmHWM %s\n", mib(m["VmRSS"]), mib(m["RssAnon"]), mib(m["RssFile"]), mib(m["VmHWM"]))
	srv.stop()
	if err := listInProcess(data, prefix); err != nil {
		log.Fatal(err)
	}
	if len(putRatios) > 0 {
		slices.Sort(putRatios)
		slices.Sort(getRatios)
		fmt.Printf("ratio presign/MinIO over %d rounds: PUT median %.2fx (min %.2fx), GET median %.2fx (min %.2fx)\n",
			len(putRatios), putRatios[len(putRatios)/2], putRatios[0], getRatios[len(getRatios)/2], getRatios[0])
	}
}

func defaultMinIO() string {
	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		return ""
	}
	p := filepath.Join(strings.TrimSpace(string(out)), "bin", "minio")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// fill puts objects small objects over prefixes into the store at dir,
// unless a previous run did (DIR/../filled says how many).
func fill(dir string, objects, prefixes, size, workers int) error {
	mark := filepath.Join(filepath.Dir(dir), "filled")
	if b, err := os.ReadFile(mark); err == nil && strings.TrimSpace(string(b)) == strconv.Itoa(objects) {
		fmt.Printf("fill: %s holds %d objects already\n", dir, objects)
		return nil
	}
	os.RemoveAll(dir)
	s, err := disk.OpenWith(dir, disk.Options{MultipartExpiry: -1})
	if err != nil {
		return err
	}
	ctx := context.Background()
	if err := s.CreateBucket(ctx, bucket); err != nil {
		return err
	}
	body := bytes.Repeat([]byte("o"), size)
	var next, done atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(15 * time.Second):
				n := done.Load()
				fmt.Printf("fill: %d objects, %.0f/s\n", n, float64(n)/time.Since(start).Seconds())
			}
		}
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= objects {
					return
				}
				key := fmt.Sprintf("p%04d/k%07d", i%prefixes, i)
				if _, err := s.PutObject(ctx, bucket, key, bytes.NewReader(body), objstore.Metadata{ContentType: "application/octet-stream"}, objstore.PutOptions{Size: int64(size)}); err != nil {
					errc <- err
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	close(stop)
	select {
	case err := <-errc:
		return err
	default:
	}
	el := time.Since(start)
	fmt.Printf("fill: %d objects in %v (%.0f/s)\n", objects, el.Round(time.Second), float64(objects)/el.Seconds())
	if err := s.Close(); err != nil {
		return err
	}
	return os.WriteFile(mark, []byte(strconv.Itoa(objects)), 0o600)
}

// dropCaches asks the kernel to drop the page cache; it needs root and a
// writable /proc/sys.
func dropCaches() bool {
	exec.Command("sync").Run()
	return os.WriteFile("/proc/sys/vm/drop_caches", []byte("3\n"), 0o200) == nil
}

// server is the store in a child process.
type server struct {
	cmd                 *exec.Cmd
	endpoint            string
	listening, firstGet time.Duration
	stopped             bool
}

// startServer runs this program with -serve dir, and times its start.
func startServer(dir string) (*server, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-serve", dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line := make([]byte, 0, 128)
	var b [1]byte
	for {
		if _, err := out.Read(b[:]); err != nil {
			cmd.Process.Kill()
			return nil, fmt.Errorf("the store did not start: %w", err)
		}
		if b[0] == '\n' {
			break
		}
		line = append(line, b[0])
	}
	s := &server{cmd: cmd, endpoint: string(line), listening: time.Since(start)}
	go io.Copy(io.Discard, out)
	u, err := presignURL(s.endpoint, creds, "GET", "/"+bucket+"/p0000/k0000000", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.Get(u)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("first GET: %s", resp.Status)
	}
	s.firstGet = time.Since(start)
	return s, nil
}

// memory reads the server's /proc status: sizes in kB.
func (s *server) memory() map[string]int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	m := map[string]int{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 2 && f[1] == "kB" {
			m[k], _ = strconv.Atoi(f[0])
		}
	}
	return m
}

func (s *server) stop() {
	if s.stopped {
		return
	}
	s.stopped = true
	s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}

func mib(kb int) string { return fmt.Sprintf("%.1f MiB", float64(kb)/1024) }

// listInProcess opens the store in this process and times ListObjects of
// prefix alone: the index walk, without HTTP, signature or XML.
func listInProcess(dir, prefix string) error {
	s, err := disk.OpenWith(dir, disk.Options{MultipartExpiry: -1})
	if err != nil {
		return err
	}
	defer s.Close()
	var took []time.Duration
	n := 0
	for range 21 {
		start := time.Now()
		res, err := s.ListObjects(context.Background(), bucket, objstore.ListOptions{Prefix: prefix, MaxKeys: 1000})
		if err != nil {
			return err
		}
		took = append(took, time.Since(start))
		n = len(res.Objects)
	}
	first := took[0]
	slices.Sort(took)
	fmt.Printf("ListObjects of %s in process (%d keys): first %v, median %v (min %v)\n", prefix, n, first.Round(time.Microsecond), took[len(took)/2].Round(time.Microsecond), took[0].Round(time.Microsecond))
	return nil
}

// runServer is the child: the store on dir, on 127.0.0.1, until SIGINT or
// its parent closes stdin... or 30 minutes. With STORESCALE_CPUPROFILE set
// to a path, it writes a CPU profile of its whole run there.
func runServer(dir string) error {
	ctx := context.Background()
	if path := os.Getenv("STORESCALE_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	local, endpoint, errc, err := stack.OpenLoopback(ctx, stack.LocalConfig{Dir: dir, Bucket: bucket, Credentials: creds, MultipartExpiry: -1})
	if err != nil {
		return err
	}
	defer local.Close()
	fmt.Println(endpoint)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	select {
	case <-sig:
	case err := <-errc:
		return err
	case <-time.After(30 * time.Minute):
	}
	return local.Server.Close()
}

// presignURL presigns method on path (a bucket path, "/bucket/key") with
// query q at endpoint.
func presignURL(endpoint string, c sigv4.Credentials, method, path string, q []sigv4.Param) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", err
	}
	p, err := sigv4.NewSigner().Presign(&sigv4.SignInput{
		Request:     &sigv4.Request{Method: method, Scheme: u.Scheme, Host: u.Host, Path: path, Query: q},
		Credentials: c, Region: region, Service: "s3", Time: time.Now(), Expires: time.Hour,
	})
	return p.URL, err
}

type listResult struct {
	Keys      []string `xml:"Contents>Key"`
	Truncated bool     `xml:"IsTruncated"`
	Next      string   `xml:"NextContinuationToken"`
}

// list is one ListObjectsV2 request; took is the time until its whole
// answer was read, before it is decoded.
func list(client *http.Client, endpoint string, q []sigv4.Param) (res listResult, took time.Duration, err error) {
	u, err := presignURL(endpoint, creds, "GET", "/"+bucket, q)
	if err != nil {
		return res, 0, err
	}
	start := time.Now()
	resp, err := client.Get(u)
	if err != nil {
		return res, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	took = time.Since(start)
	if err != nil {
		return res, took, err
	}
	if resp.StatusCode != 200 {
		return res, took, fmt.Errorf("list: %s: %s", resp.Status, body)
	}
	return res, took, xml.Unmarshal(body, &res)
}

// listPrefix lists prefix in one request of up to 1,000 keys.
func listPrefix(client *http.Client, endpoint, prefix string) (time.Duration, int, error) {
	res, took, err := list(client, endpoint, []sigv4.Param{{Name: "list-type", Value: "2"}, {Name: "max-keys", Value: "1000"}, {Name: "prefix", Value: prefix}})
	return took, len(res.Keys), err
}

// listAll lists the whole bucket, 1,000 keys a page.
func listAll(client *http.Client, endpoint string) (time.Duration, int, error) {
	start := time.Now()
	total, token := 0, ""
	for {
		q := []sigv4.Param{{Name: "list-type", Value: "2"}, {Name: "max-keys", Value: "1000"}}
		if token != "" {
			q = append(q, sigv4.Param{Name: "continuation-token", Value: token})
		}
		res, _, err := list(client, endpoint, q)
		if err != nil {
			return 0, total, err
		}
		total += len(res.Keys)
		if !res.Truncated {
			return time.Since(start), total, nil
		}
		token = res.Next
	}
}

// load runs conns workers doing presigned PUTs of body for d, then
// presigned GETs of what they put for d, and returns both rates.
func load(client *http.Client, endpoint string, c sigv4.Credentials, body []byte, conns int, d time.Duration) (putRate, getRate float64) {
	written := make([]int, conns) // keys worker w put: load/wW/000000 on
	run := func(method string) float64 {
		var ok, failed atomic.Int64
		var firstErr atomic.Value
		deadline := time.Now().Add(d)
		var wg sync.WaitGroup
		for w := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; time.Now().Before(deadline); i++ {
					n := i
					if method == "GET" {
						n = i % max(written[w], 1)
					}
					key := fmt.Sprintf("/%s/load/w%02d/%07d", bucket, w, n)
					u, err := presignURL(endpoint, c, method, key, nil)
					if err != nil {
						panic(err)
					}
					var rd io.Reader
					if method == "PUT" {
						rd = bytes.NewReader(body)
					}
					req, _ := http.NewRequest(method, u, rd)
					if method == "PUT" {
						req.ContentLength = int64(len(body))
					}
					resp, err := client.Do(req)
					if err == nil {
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != 200 {
							err = errors.New(resp.Status)
						}
					}
					if err != nil {
						failed.Add(1)
						firstErr.CompareAndSwap(nil, fmt.Sprintf("%s %s: %v", method, key, err))
						continue
					}
					ok.Add(1)
					if method == "PUT" {
						written[w] = i + 1
					}
				}
			}()
		}
		wg.Wait()
		if n := failed.Load(); n > 0 {
			fmt.Printf("  %s: %d failed (first: %v)\n", method, n, firstErr.Load())
		}
		return float64(ok.Load()) / d.Seconds()
	}
	putRate = run("PUT")
	getRate = run("GET")
	return putRate, getRate
}
