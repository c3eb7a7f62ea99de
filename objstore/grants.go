package objstore

import (
	"context"
	"errors"
	"time"
)

// Errors of [Grants.BeginGrantUse].
var (
	// ErrGrantRevoked: the grant, or every grant under a prefix of the
	// key, was revoked.
	ErrGrantRevoked = errors.New("objstore: the grant was revoked")
	// ErrGrantUsedUp: a limited grant was used as many times as it may
	// be, or its last use is under way.
	ErrGrantUsedUp = errors.New("objstore: the grant is used up")
)

// Grants is the state a store keeps of presign serve's grants (the ids of
// internal/grant that the URLs it issues are signed under): which are
// limited to a number of uses and how many are spent, and which were
// revoked. It is durable, and bounded: a grant is forgotten once its URL
// has expired. The issuer writes it; the store's server checks it on every
// request that carries a grant id, after the signature.
type Grants interface {
	// LimitGrant records that the grant id, which ends at expires, may be
	// used maxUses times (1 for a single-use URL).
	LimitGrant(ctx context.Context, id string, maxUses int, expires time.Time) error
	// RevokeGrant refuses every request under the grant id from now on.
	RevokeGrant(ctx context.Context, id string, expires time.Time) error
	// RevokeGrants refuses every request under a grant of a URL signed at
	// or before at, for a key of bucket that starts with prefix.
	RevokeGrants(ctx context.Context, bucket, prefix string, at time.Time) error
	// BeginGrantUse checks the grant id of a request for key in bucket
	// whose URL was signed at signed, and reserves one of its uses: a
	// concurrent request under a grant with no use left is refused while
	// this one runs. Commit spends the use (when the response starts);
	// Release gives it back (the request failed). It returns
	// ErrGrantRevoked or ErrGrantUsedUp, wrapped with the reason.
	BeginGrantUse(id, bucket, key string, signed time.Time) (GrantUse, error)
}

// GrantUse is a use of a grant reserved by [Grants.BeginGrantUse]: exactly
// one of Commit and Release must be called; calls after the first do
// nothing.
type GrantUse interface {
	Commit() error
	Release()
}
