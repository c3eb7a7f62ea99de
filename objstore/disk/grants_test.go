package disk

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/presign-dev/presign/internal/grant"
	"github.com/presign-dev/presign/objstore"
)

var grantSecret = []byte("grant test secret of 32 bytes...")

// use begins a use and commits it, returning BeginGrantUse's error.
func use(s *Store, id, key string, signed time.Time) error {
	u, err := s.BeginGrantUse(id, "bkt", key, signed)
	if err != nil {
		return err
	}
	return u.Commit()
}

// TestGrantSingleUseConcurrent: of 50 concurrent requests under a
// single-use grant exactly one gets it; a use released (a failed PUT)
// is not spent; a spent one is spent for good.
func TestGrantSingleUseConcurrent(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	now := time.Now()
	id := grant.New(grantSecret, "web", now.Add(time.Hour))
	if err := s.LimitGrant(ctx, id, 1, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// A use begun and released leaves the grant whole.
	u, err := s.BeginGrantUse(id, "bkt", "k", now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.BeginGrantUse(id, "bkt", "k", now); !errors.Is(err, objstore.ErrGrantUsedUp) {
		t.Fatalf("a second use while the first runs: %v", err)
	}
	u.Release()
	u.Release() // a second call does nothing

	var won, refused atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			u, err := s.BeginGrantUse(id, "bkt", "k", now)
			switch {
			case errors.Is(err, objstore.ErrGrantUsedUp):
				refused.Add(1)
				return
			case err != nil:
				t.Error(err)
				return
			}
			time.Sleep(time.Millisecond) // the request runs
			if err := u.Commit(); err != nil {
				t.Error(err)
			}
			won.Add(1)
		}()
	}
	close(start)
	wg.Wait()
	if won.Load() != 1 || refused.Load() != 49 {
		t.Fatalf("%d requests got the single use, %d were refused", won.Load(), refused.Load())
	}
	if err := use(s, id, "k", now); !errors.Is(err, objstore.ErrGrantUsedUp) {
		t.Fatalf("after the use: %v", err)
	}
}

// TestGrantMaxUsesAndRevocation: a grant of 3 uses gives 3; a revocation
// refuses the very next request, of a limited grant or not; a prefix
// revocation refuses the URLs signed until then under the prefix and no
// others.
func TestGrantMaxUsesAndRevocation(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	exp := now.Add(time.Hour)
	three := grant.New(grantSecret, "web", exp)
	s.LimitGrant(ctx, three, 3, exp)
	for i := range 3 {
		if err := use(s, three, "k", now); err != nil {
			t.Fatalf("use %d: %v", i+1, err)
		}
	}
	if err := use(s, three, "k", now); !errors.Is(err, objstore.ErrGrantUsedUp) {
		t.Fatalf("use 4: %v", err)
	}

	open := grant.New(grantSecret, "web", exp)
	if err := use(s, open, "k", now); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeGrant(ctx, open, exp); err != nil {
		t.Fatal(err)
	}
	if err := use(s, open, "k", now); !errors.Is(err, objstore.ErrGrantRevoked) {
		t.Fatalf("the request after the revocation: %v", err)
	}
	limited := grant.New(grantSecret, "web", exp)
	s.LimitGrant(ctx, limited, 5, exp)
	u, _ := s.BeginGrantUse(limited, "bkt", "k", now)
	s.RevokeGrant(ctx, limited, exp)
	if err := u.Commit(); err != nil { // a request under way finishes
		t.Fatal(err)
	}
	if err := use(s, limited, "k", now); !errors.Is(err, objstore.ErrGrantRevoked) {
		t.Fatalf("a limited grant revoked: %v", err)
	}

	if err := s.RevokeGrants(ctx, "bkt", "tenant/a/", now); err != nil {
		t.Fatal(err)
	}
	other := grant.New(grantSecret, "web", exp)
	for _, tt := range []struct {
		key     string
		signed  time.Time
		revoked bool
	}{
		{"tenant/a/x", now, true},
		{"tenant/a/x", now.Add(-time.Minute), true},
		{"tenant/a/deep/x", now, true},
		{"tenant/a/x", now.Add(time.Second), false}, // signed after
		{"tenant/ab", now, false},
		{"tenant/b/x", now, false},
	} {
		err := use(s, other, tt.key, tt.signed)
		if got := errors.Is(err, objstore.ErrGrantRevoked); got != tt.revoked || (!tt.revoked && err != nil) {
			t.Errorf("%s signed %v: %v, want revoked %v", tt.key, tt.signed.Sub(now), err, tt.revoked)
		}
	}
}

// TestGrantStateDurable: spent uses and both kinds of revocation survive
// a restart, and a kill -9 right after they were acknowledged.
func TestGrantStateDurable(t *testing.T) {
	dir := t.TempDir()
	exp := time.Now().Add(time.Hour)
	ids := [3]string{grant.New(grantSecret, "web", exp), grant.New(grantSecret, "web", exp), grant.New(grantSecret, "web", exp)}
	check := func(when string) {
		t.Helper()
		s, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		now := time.Now()
		if err := use(s, ids[0], "k", now.Add(-time.Minute)); !errors.Is(err, objstore.ErrGrantUsedUp) {
			t.Errorf("%s: the single-use grant: %v", when, err)
		}
		if err := use(s, ids[1], "k", now.Add(-time.Minute)); !errors.Is(err, objstore.ErrGrantRevoked) {
			t.Errorf("%s: the revoked grant: %v", when, err)
		}
		if err := use(s, ids[2], "gone/k", now.Add(-time.Minute)); !errors.Is(err, objstore.ErrGrantRevoked) {
			t.Errorf("%s: the revoked prefix: %v", when, err)
		}
	}

	// A clean restart.
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	writeGrants(t, s, ids, exp)
	s.Close()
	check("after a restart")

	// kill -9 in a child, right after it printed that all was done.
	dir2 := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestGrantChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "PRESIGN_GRANT_DIR="+dir2, "PRESIGN_GRANT_IDS="+ids[0]+","+ids[1]+","+ids[2])
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if line != "done\n" {
		t.Fatalf("child: %q", line)
	}
	dir = dir2
	check("after kill -9")
}

// writeGrants spends ids[0] (single use), revokes ids[1] and the prefix
// "gone/".
func writeGrants(t *testing.T, s *Store, ids [3]string, exp time.Time) {
	ctx := context.Background()
	s.LimitGrant(ctx, ids[0], 1, exp)
	if err := use(s, ids[0], "k", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeGrant(ctx, ids[1], exp); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeGrants(ctx, "bkt", "gone/", time.Now()); err != nil {
		t.Fatal(err)
	}
}

// TestGrantChild is TestGrantStateDurable's child: it writes the grant
// state, says "done" and waits to be killed.
func TestGrantChild(t *testing.T) {
	dir := os.Getenv("PRESIGN_GRANT_DIR")
	if dir == "" {
		t.Skip("run by TestGrantStateDurable")
	}
	var ids [3]string
	copy(ids[:], strings.Split(os.Getenv("PRESIGN_GRANT_IDS"), ","))
	s, err := Open(dir)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	writeGrants(t, s, ids, time.Now().Add(time.Hour))
	fmt.Println("done")
	time.Sleep(time.Minute)
}

// TestGrantsPruned: a grant's record is forgotten once its URL has
// expired, a prefix revocation once no URL it refuses can be alive.
func TestGrantsPruned(t *testing.T) {
	clock := newFakeClock()
	s := openWith(t, t.TempDir(), Options{Now: clock.Now})
	ctx := context.Background()
	now := clock.Now()
	for i := range 10 {
		exp := now.Add(time.Duration(i+1) * time.Hour)
		id := grant.New(grantSecret, "web", exp)
		if i%2 == 0 {
			s.LimitGrant(ctx, id, 1, exp)
		} else {
			s.RevokeGrant(ctx, id, exp)
		}
	}
	s.RevokeGrants(ctx, "bkt", "p/", now)
	if n, err := s.pruneGrants(clock.Now()); err != nil || n != 0 {
		t.Fatalf("pruned %d live records, %v", n, err)
	}
	clock.Advance(5*time.Hour + grantSkew + time.Second)
	if n, _ := s.pruneGrants(clock.Now()); n != 5 {
		t.Fatalf("5 h on, pruned %d, want the 5 grants expired", n)
	}
	clock.Advance(MaxGrantLife)
	if n, _ := s.pruneGrants(clock.Now()); n != 6 {
		t.Fatalf("7 days on, pruned %d, want the other 5 and the prefix", n)
	}
	if err := use(s, grant.New(grantSecret, "web", clock.Now().Add(time.Hour)), "p/x", now); err != nil {
		t.Fatalf("after its revocation was pruned: %v", err)
	}
}
