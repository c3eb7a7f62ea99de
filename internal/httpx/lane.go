package httpx

import (
	"context"
	"time"
)

// Lane bounds how many requests of one kind do their work at once: the
// others wait their turn (blocked, costing no CPU), up to a deadline. The
// servers send large requests through a lane (a request line or headers
// of several KiB, a form's fields, a long XML or JSON body), which a
// client can make the server parse and canonicalise before any signature
// is checked: however many such requests arrive, they take at most the
// lane's share of the CPU, and small requests keep the rest.
type Lane struct {
	slots chan struct{}
	wait  time.Duration
}

// NewLane returns a lane of n slots (at least 1) whose requests wait at
// most wait for one.
func NewLane(n int, wait time.Duration) *Lane {
	return &Lane{slots: make(chan struct{}, max(n, 1)), wait: wait}
}

// Enter waits for a slot, until the lane's wait is over or ctx ends. It
// returns the function that leaves the lane (safe to call more than
// once), or ok false when no slot came in time. A nil lane lets every
// request through.
func (l *Lane) Enter(ctx context.Context) (leave func(), ok bool) {
	if l == nil {
		return func() {}, true
	}
	select {
	case l.slots <- struct{}{}:
	default:
		t := time.NewTimer(l.wait)
		defer t.Stop()
		select {
		case l.slots <- struct{}{}:
		case <-t.C:
			return nil, false
		case <-ctx.Done():
			return nil, false
		}
	}
	left := false
	return func() {
		if !left {
			left = true
			<-l.slots
		}
	}, true
}
