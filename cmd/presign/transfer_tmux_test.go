package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign"
)

// barRE matches a drawn progress bar: "download big.bin  45% |████   |".
var barRE = regexp.MustCompile(`(\d+)% \|[^|]*\|`)

// tmuxServer is a private tmux server for a test.
type tmuxServer struct {
	t      *testing.T
	tmux   string
	socket string
}

func (s *tmuxServer) run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, s.tmux, append([]string{"-S", s.socket, "-f", "/dev/null"}, args...)...).CombinedOutput()
	return string(out), err
}

// paneRun is a shell script running in its own 80x24 pane.
type paneRun struct {
	s       *tmuxServer
	session string
	done    string // holds the command's exit status once it ends
}

// start runs the command line cmd in a new 80x24 session named name. The
// shell outlives the command (an interrupt does not end it) and writes its
// exit status to a file.
func (s *tmuxServer) start(name, cmd string) *paneRun {
	s.t.Helper()
	p := &paneRun{s: s, session: name, done: filepath.Join(filepath.Dir(s.socket), name+".done")}
	script := "trap true INT; " + cmd + "; echo $? > " + p.done + "; sleep 60"
	for try := 0; ; try++ {
		out, err := s.run("new-session", "-d", "-s", name, "-x", "80", "-y", "24", "env", "TERM=xterm-256color", "LANG=C.UTF-8", "sh", "-c", script)
		if err == nil {
			break
		}
		if try == 2 {
			s.t.Fatalf("tmux new-session: %v\n%s", err, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.t.Cleanup(func() { s.run("kill-session", "-t", name) })
	return p
}

func (p *paneRun) screen() string {
	p.s.t.Helper()
	return p.capture("-p")
}

// joined is the screen with the rows a long line was wrapped over joined
// (tmux's -J), so a message can be matched whatever column it wrapped at.
func (p *paneRun) joined() string {
	p.s.t.Helper()
	return p.capture("-p", "-J")
}

func (p *paneRun) capture(flags ...string) string {
	p.s.t.Helper()
	out, err := p.s.run(append(append([]string{"capture-pane"}, flags...), "-t", p.session)...)
	if err != nil {
		p.s.t.Fatalf("capture-pane: %v\n%s", err, out)
	}
	return out
}

// until polls the screen, at most 60 s, until the command ends or stop
// returns true for the screen; it returns the exit status ("" when stopped
// before the end) and the last screen.
func (p *paneRun) until(stop func(screen string) bool) (code, screen string) {
	p.s.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		screen = p.screen()
		if b, err := os.ReadFile(p.done); err == nil {
			return strings.TrimSpace(string(b)), p.screen()
		}
		if stop != nil && stop(screen) {
			return "", screen
		}
		if time.Now().After(deadline) {
			p.s.t.Fatalf("%s did not finish in the pane within 60s; screen:\n%s", p.session, screen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// partial reports whether screen shows a bar between 1% and 99%.
func partial(screen string) bool {
	for _, m := range barRE.FindAllStringSubmatch(screen, -1) {
		if pct, _ := strconv.Atoi(m[1]); pct > 0 && pct < 100 {
			return true
		}
	}
	return false
}

// checkFinal checks a finished transfer's screen: exit 0, the last bar at
// 100% and fitting the pane, and the result line.
func (p *paneRun) checkFinal(code, screen, what, result string) {
	t := p.s.t
	t.Helper()
	t.Logf("final screen:\n%s", strings.TrimRight(screen, "\n"))
	if code != "0" {
		t.Fatalf("exit %s", code)
	}
	// -J joins the rows a long line was wrapped over: a bar wider than
	// the pane would wrap, and its redraws would pile up.
	joined := p.joined()
	var bar, res string
	for _, line := range strings.Split(joined, "\n") {
		line = strings.TrimRight(line, " ")
		if barRE.MatchString(line) {
			bar = line
			if w := len([]rune(line)); w > 80 {
				t.Errorf("a bar of %d columns in an 80-column pane: %q", w, line)
			}
		}
		if strings.HasPrefix(line, result) {
			res = line
		}
	}
	if m := barRE.FindStringSubmatch(bar); m == nil || m[1] != "100" || !strings.HasPrefix(bar, what+" ") {
		t.Errorf("the last bar is %q, not %s's at 100%%", bar, what)
	}
	if res == "" {
		t.Errorf("no line starting %q on the final screen", result)
	}
}

// TestTransferProgressInTmux runs the built command in a real terminal, a
// tmux pane of 80 by 24, downloading and uploading 16 MiB from a store
// throttled to a few MiB/s, and checks what a person sees: a progress bar
// that draws part way, and a final screen at 100% with the result line;
// and a download interrupted with Ctrl-C, then resumed. It is skipped
// where tmux is not installed, except under CI=true, where tmux is a
// dependency (scripts/install-deps.sh) and its absence a failure.
func TestTransferProgressInTmux(t *testing.T) {
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux is not installed; scripts/install-deps.sh installs it")
		}
		t.Skip("tmux is not installed")
	}
	if testing.Short() {
		t.Skip("builds the command")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "presign")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ts := newTestStore(t)
	ts.setWrap(throttle(8 << 20))
	data := testData(16<<20, 11)
	ts.put(t, "big.bin", data)
	file := filepath.Join(dir, "up.bin")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	get := ts.presign(t, presign.GetObject, presign.Input{Key: "big.bin"}, presign.Options{})
	put := ts.presign(t, presign.PutObject, presign.Input{Key: "up.bin"}, presign.Options{})
	// The URLs go through files: the shell would split them at '&'.
	for name, u := range map[string]string{"get.url": get.URL, "put.url": put.URL} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(u), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	getArg := `"$(cat ` + filepath.Join(dir, "get.url") + `)"`
	putArg := `"$(cat ` + filepath.Join(dir, "put.url") + `)"`

	s := &tmuxServer{t: t, tmux: tmux, socket: filepath.Join(dir, "tmux.sock")}
	t.Cleanup(func() { s.run("kill-server") })
	// A session that outlives the others keeps the server up between them.
	if out, err := s.run("new-session", "-d", "-s", "keeper", "sleep", "300"); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}

	t.Run("download", func(t *testing.T) {
		s.t = t
		out := filepath.Join(dir, "down.bin")
		p := s.start("download", bin+" download "+getArg+" -o "+out)
		var seen string
		code, screen := p.until(func(screen string) bool {
			if seen == "" && partial(screen) {
				seen = screen
			}
			return false
		})
		if seen == "" {
			t.Errorf("no progress bar part way through was seen")
		}
		t.Logf("part way:\n%s", strings.TrimRight(seen, "\n"))
		p.checkFinal(code, screen, "download down.bin", "downloaded "+out+" (16.0 MiB)")
		if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
			t.Error("down.bin differs from the object")
		}
	})

	t.Run("upload", func(t *testing.T) {
		s.t = t
		p := s.start("upload", bin+" upload "+file+" "+putArg)
		var seen string
		code, screen := p.until(func(screen string) bool {
			if seen == "" && partial(screen) {
				seen = screen
			}
			return false
		})
		if seen == "" {
			t.Errorf("no progress bar part way through was seen")
		}
		t.Logf("part way:\n%s", strings.TrimRight(seen, "\n"))
		p.checkFinal(code, screen, "upload up.bin", "uploaded up.bin (16.0 MiB) to ")
		if up, _ := ts.get(t, "up.bin"); !bytes.Equal(up, data) {
			t.Error("up.bin was not stored whole")
		}
	})

	t.Run("upload through the service", func(t *testing.T) {
		s.t = t
		srv := startServe(t, "--data", filepath.Join(dir, "serve-data"))
		m := regexp.MustCompile(`API key: +(psk_\S+)`).FindStringSubmatch(srv.stdout.String())
		if m == nil {
			t.Fatalf("presign serve printed no API key:\n%s", srv.stdout)
		}
		api, key := srv.api, m[1]
		big := filepath.Join(dir, "parts.bin")
		if err := os.WriteFile(big, testData(100<<20, 12), 0o644); err != nil {
			t.Fatal(err)
		}
		// 100 MiB is over the service's multipart threshold: in parts,
		// with one bar.
		p := s.start("api", "XDG_CACHE_HOME="+filepath.Join(dir, "cache")+" PRESIGN_API_KEY="+key+" "+bin+" upload "+big+" --api "+api+" --limit-rate 40MiB")
		var seen string
		code, screen := p.until(func(screen string) bool {
			if seen == "" && partial(screen) {
				seen = screen
			}
			return false
		})
		if seen == "" {
			t.Errorf("no progress bar part way through was seen")
		}
		t.Logf("part way:\n%s", strings.TrimRight(seen, "\n"))
		p.checkFinal(code, screen, "upload parts.bin", "uploaded parts.bin (100.0 MiB) as local/")
	})

	t.Run("interrupt and resume", func(t *testing.T) {
		s.t = t
		out := filepath.Join(dir, "resumed.bin")
		ts.setWrap(throttle(2 << 20))
		p := s.start("interrupted", bin+" download "+getArg+" -o "+out)
		code, screen := p.until(partial)
		if code != "" {
			t.Fatalf("the download ended (exit %s) before it could be interrupted; screen:\n%s", code, screen)
		}
		if out, err := s.run("send-keys", "-t", p.session, "C-c"); err != nil {
			t.Fatalf("send-keys: %v\n%s", err, out)
		}
		code, screen = p.until(nil)
		t.Logf("interrupted:\n%s", strings.TrimRight(screen, "\n"))
		if code != "1" || !strings.Contains(p.joined(), "resumed.bin.part is kept: run the same command again to resume") {
			t.Fatalf("exit %s after Ctrl-C", code)
		}
		fi, err := os.Stat(out + ".part")
		if err != nil || fi.Size() == 0 || fi.Size() >= int64(len(data)) {
			t.Fatalf("resumed.bin.part after Ctrl-C: %v, %v", fi, err)
		}

		ts.setWrap(throttle(8 << 20))
		ts.requests()
		p = s.start("resumed", bin+" download "+getArg+" -o "+out)
		code, screen = p.until(nil)
		p.checkFinal(code, screen, "download resumed.bin", "downloaded "+out+" (16.0 MiB)")
		if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
			t.Error("resumed.bin differs from the object")
		}
		reqs := ts.requests()
		if len(reqs) != 1 || reqs[0].Header.Get("Range") != "bytes="+strconv.FormatInt(fi.Size(), 10)+"-" {
			t.Errorf("the second run did not resume from byte %d: %d requests", fi.Size(), len(reqs))
		}
	})
}
