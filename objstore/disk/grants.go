package disk

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/presign-dev/presign/objstore"
)

var _ objstore.Grants = (*Store)(nil)

// Grant state lives in the index, in two bbolt buckets:
//
//	grants       id -> record: revoked flag, uses allowed (0: any number),
//	             uses spent, expiry (Unix seconds)
//	revocations  bucket NUL prefix -> when the prefix was revoked, and when
//	             that revocation can be forgotten (Unix seconds)
//
// A grant that is neither limited nor revoked has no record: issuing a URL
// writes nothing. Both kinds of record are removed once no URL they
// concern can still be valid (the sweep, every hour): a grant's at its
// expiry, a prefix revocation MaxGrantLife after it was made.
var (
	grantsBucket      = []byte("grants")
	revocationsBucket = []byte("revocations")
)

// MaxGrantLife is the longest a URL lives (SigV4's 7 days), after which a
// prefix revocation has nothing left to refuse.
const MaxGrantLife = 7 * 24 * time.Hour

// grantSkew is how long after its expiry a grant's record is kept, for
// clocks a little apart.
const grantSkew = 15 * time.Minute

// grantRecord is a grant's state.
type grantRecord struct {
	revoked   bool
	max, uses uint64
	expires   int64
}

func (g *grantRecord) encode() []byte {
	b := []byte{0}
	if g.revoked {
		b[0] = 1
	}
	b = binary.AppendUvarint(b, g.max)
	b = binary.AppendUvarint(b, g.uses)
	return binary.AppendVarint(b, g.expires)
}

func decodeGrant(v []byte) (*grantRecord, error) {
	if len(v) == 0 || v[0] > 1 {
		return nil, errBadRecord
	}
	r := &recordReader{b: v[1:]}
	g := &grantRecord{revoked: v[0] == 1, max: r.uvarint(), uses: r.uvarint(), expires: r.varint()}
	if r.err != nil || len(r.b) != 0 {
		return nil, errBadRecord
	}
	return g, nil
}

// grantState is what the Store holds in memory of grants: the limited
// grants with a use under way, and every live prefix revocation.
type grantState struct {
	mu sync.Mutex
	// active are the limited grants with uses reserved; a grant leaves
	// when its last reservation ends.
	active map[string]*activeGrant
	// prefixes are the live prefix revocations, by bucket.
	prefixes map[string][]prefixRevocation
}

type activeGrant struct {
	rec      grantRecord
	reserved int // uses begun and neither committed nor released
}

type prefixRevocation struct {
	prefix string
	at     time.Time
}

// loadGrants reads the prefix revocations at Open.
func (s *Store) loadGrants() error {
	s.grants = grantState{active: map[string]*activeGrant{}, prefixes: map[string][]prefixRevocation{}}
	return s.db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(grantsBucket); err != nil {
			return err
		}
		rb, err := tx.CreateBucketIfNotExists(revocationsBucket)
		if err != nil {
			return err
		}
		return rb.ForEach(func(k, v []byte) error {
			bucketName, prefix, ok := strings.Cut(string(k), "\x00")
			at, n := binary.Varint(v)
			if !ok || n <= 0 {
				return nil // damaged: ignored, and pruned
			}
			s.grants.prefixes[bucketName] = append(s.grants.prefixes[bucketName], prefixRevocation{prefix: prefix, at: time.Unix(at, 0)})
			return nil
		})
	})
}

// LimitGrant records that the grant id may be used maxUses times.
func (s *Store) LimitGrant(ctx context.Context, id string, maxUses int, expires time.Time) error {
	if maxUses < 1 {
		return fmt.Errorf("disk: a limited grant needs at least one use, not %d", maxUses)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	rec := &grantRecord{max: uint64(maxUses), expires: expires.Unix()}
	return s.grantWrite(func(b *bolt.Bucket) error {
		if b.Get([]byte(id)) != nil {
			return fmt.Errorf("disk: grant %s exists", id)
		}
		return b.Put([]byte(id), rec.encode())
	})
}

// RevokeGrant marks the grant id revoked, limited or not; requests under
// it that have begun finish.
func (s *Store) RevokeGrant(ctx context.Context, id string, expires time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.grantWrite(func(b *bolt.Bucket) error {
		rec := &grantRecord{expires: expires.Unix()}
		if v := b.Get([]byte(id)); v != nil {
			cur, err := decodeGrant(v)
			if err != nil {
				return err
			}
			rec = cur
		}
		rec.revoked = true
		return b.Put([]byte(id), rec.encode())
	})
	if err != nil {
		return err
	}
	s.grants.mu.Lock()
	if a := s.grants.active[id]; a != nil {
		a.rec.revoked = true
	}
	s.grants.mu.Unlock()
	return nil
}

// RevokeGrants revokes every grant of a URL signed at or before at for a
// key of bucketName under prefix.
func (s *Store) RevokeGrants(ctx context.Context, bucketName, prefix string, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	at = at.Truncate(time.Second)
	v := binary.AppendVarint(nil, at.Unix())
	v = binary.AppendVarint(v, at.Add(MaxGrantLife).Unix())
	err := s.commits.do(func(tx *bolt.Tx) error {
		return tx.Bucket(revocationsBucket).Put([]byte(bucketName+"\x00"+prefix), v)
	})
	if err != nil {
		return fmt.Errorf("disk: revoking grants: %w", err)
	}
	s.grants.mu.Lock()
	list := s.grants.prefixes[bucketName]
	replaced := false
	for i := range list {
		if list[i].prefix == prefix {
			list[i].at, replaced = at, true
		}
	}
	if !replaced {
		s.grants.prefixes[bucketName] = append(list, prefixRevocation{prefix: prefix, at: at})
	}
	s.grants.mu.Unlock()
	return nil
}

// grantWrite runs fn on the grants bucket in a shared commit.
func (s *Store) grantWrite(fn func(*bolt.Bucket) error) error {
	err := s.commits.do(func(tx *bolt.Tx) error { return fn(tx.Bucket(grantsBucket)) })
	if err != nil {
		return fmt.Errorf("disk: grant: %w", err)
	}
	return nil
}

// BeginGrantUse checks the grant id of a request and reserves a use of a
// limited grant.
func (s *Store) BeginGrantUse(id, bucketName, key string, signed time.Time) (objstore.GrantUse, error) {
	g := &s.grants
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, p := range g.prefixes[bucketName] {
		if strings.HasPrefix(key, p.prefix) && !signed.After(p.at) {
			return nil, fmt.Errorf("%w: every grant under the prefix %q was revoked at %s", objstore.ErrGrantRevoked, p.prefix, p.at.UTC().Format(time.RFC3339))
		}
	}
	a := g.active[id]
	if a == nil {
		var rec *grantRecord
		err := s.db.View(func(tx *bolt.Tx) error {
			v := tx.Bucket(grantsBucket).Get([]byte(id))
			if v == nil {
				return nil
			}
			var err error
			rec, err = decodeGrant(v)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("disk: grant: %w", err)
		}
		if rec == nil {
			return noUse{}, nil // neither limited nor revoked
		}
		a = &activeGrant{rec: *rec}
	}
	switch {
	case a.rec.revoked:
		return nil, fmt.Errorf("%w: the grant %s was revoked", objstore.ErrGrantRevoked, id)
	case a.rec.max == 0:
		return noUse{}, nil
	case a.rec.uses+uint64(a.reserved) >= a.rec.max:
		if a.reserved > 0 {
			return nil, fmt.Errorf("%w: the grant %s allows %d uses; %d spent and %d under way", objstore.ErrGrantUsedUp, id, a.rec.max, a.rec.uses, a.reserved)
		}
		return nil, fmt.Errorf("%w: the grant %s allows %d uses, all spent", objstore.ErrGrantUsedUp, id, a.rec.max)
	}
	a.reserved++
	g.active[id] = a
	return &grantUse{s: s, id: id, a: a}, nil
}

// noUse is the use of a grant with no limit: nothing to spend.
type noUse struct{}

func (noUse) Commit() error { return nil }
func (noUse) Release()      {}

// grantUse is a reserved use of a limited grant.
type grantUse struct {
	s    *Store
	id   string
	a    *activeGrant
	done bool
}

// Commit spends the use durably. The reservation holds until the commit
// is on disk, so that no other request can take the use meanwhile.
func (u *grantUse) Commit() error {
	if u.done {
		return nil
	}
	u.done = true
	err := u.s.grantWrite(func(b *bolt.Bucket) error {
		v := b.Get([]byte(u.id))
		if v == nil {
			return fmt.Errorf("the record of grant %s is gone", u.id)
		}
		rec, err := decodeGrant(v)
		if err != nil {
			return err
		}
		rec.uses++
		return b.Put([]byte(u.id), rec.encode())
	})
	g := &u.s.grants
	g.mu.Lock()
	if err == nil {
		u.a.rec.uses++
	}
	u.end()
	g.mu.Unlock()
	return err
}

// Release gives the use back.
func (u *grantUse) Release() {
	if u.done {
		return
	}
	u.done = true
	u.s.grants.mu.Lock()
	u.end()
	u.s.grants.mu.Unlock()
}

// end ends the reservation; the caller holds the grants' lock.
func (u *grantUse) end() {
	u.a.reserved--
	if u.a.reserved == 0 {
		delete(u.s.grants.active, u.id)
	}
}

// deleteWhere deletes the records of b whose value dead says so, and
// returns their keys.
func deleteWhere(b *bolt.Bucket, dead func(v []byte) bool) ([][]byte, error) {
	var keys [][]byte
	err := b.ForEach(func(k, v []byte) error {
		if dead(v) {
			keys = append(keys, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// pruneGrants forgets the grants and prefix revocations that can no
// longer concern a live URL, and returns how many.
func (s *Store) pruneGrants(now time.Time) (int, error) {
	var dropped []string
	pruned := 0
	err := s.commits.do(func(tx *bolt.Tx) error {
		gone := func(until int64) bool { return time.Unix(until, 0).Add(grantSkew).Before(now) }
		grants, err := deleteWhere(tx.Bucket(grantsBucket), func(v []byte) bool {
			rec, err := decodeGrant(v)
			return err != nil || gone(rec.expires)
		})
		if err != nil {
			return err
		}
		revs, err := deleteWhere(tx.Bucket(revocationsBucket), func(v []byte) bool {
			r := &recordReader{b: v}
			r.varint() // when the prefix was revoked
			until := r.varint()
			return r.err != nil || gone(until)
		})
		if err != nil {
			return err
		}
		pruned, dropped = len(grants)+len(revs), nil
		for _, k := range revs {
			dropped = append(dropped, string(k))
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("disk: pruning grants: %w", err)
	}
	if len(dropped) > 0 {
		s.grants.mu.Lock()
		for _, k := range dropped {
			bucketName, prefix, _ := strings.Cut(k, "\x00")
			list := s.grants.prefixes[bucketName]
			for i := 0; i < len(list); i++ {
				if list[i].prefix == prefix {
					list = append(list[:i], list[i+1:]...)
					i--
				}
			}
			if len(list) == 0 {
				delete(s.grants.prefixes, bucketName)
			} else {
				s.grants.prefixes[bucketName] = list
			}
		}
		s.grants.mu.Unlock()
	}
	return pruned, nil
}
