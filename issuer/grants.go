package issuer

import (
	"log/slog"
	"strings"
	"time"

	"github.com/presign-dev/presign/internal/grant"
	"github.com/presign-dev/presign/sigv4"
)

// Every URL the API issues is signed under a grant id (internal/grant),
// the query parameter presign-grant, which the answer also carries as
// "grant". On a store that checks grants (the embedded one) a client may
// limit a URL to one use or N, and revoke its grants: one by id, or all
// of its URLs under a key prefix. S3 and other stores ignore the
// parameter, so the URLs work there, but nothing can be limited or
// revoked: those requests are refused with grants_unsupported.

// grantLimits are the members that limit a URL's uses.
type grantLimits struct {
	SingleUse bool `json:"singleUse,omitempty"`
	MaxUses   int  `json:"maxUses,omitempty"`
}

// maxGrantUses bounds maxUses.
const maxGrantUses = 1_000_000

// uses is the number of uses asked for; 0 for no limit.
func (g grantLimits) uses() (int, error) {
	switch {
	case g.SingleUse && g.MaxUses != 0:
		return 0, invalidField("maxUses", "give singleUse or maxUses, not both (singleUse is maxUses 1)")
	case g.SingleUse:
		return 1, nil
	case g.MaxUses < 0 || g.MaxUses > maxGrantUses:
		return 0, invalidField("maxUses", "maxUses must be from 1 to %d", maxGrantUses)
	}
	return g.MaxUses, nil
}

// unsupported is the error of a grant feature asked of a store that
// cannot enforce it.
func (s *Server) unsupported(what string) error {
	return apiErr(CodeGrantsUnsupported, "%s needs a store that checks grants: this service stores in S3 (or an S3-compatible store), which cannot refuse a validly signed URL; run it on the embedded store, or with the verifying gateway (presign serve --gateway)", what)
}

// newGrant makes the grant a URL of the request, valid until expires, is
// signed under: its id, and the query parameter to sign. With limits, it
// records them first.
func (s *Server) newGrant(r *request, limits grantLimits, expires time.Time) (string, []sigv4.Param, error) {
	uses, err := limits.uses()
	if err != nil {
		return "", nil, err
	}
	id := grant.New(s.cfg.UploadSecret, r.client.Name, expires)
	if uses > 0 {
		if s.backend.Grants == nil {
			return "", nil, s.unsupported("a singleUse or maxUses URL")
		}
		if err := s.backend.Grants.LimitGrant(r.Context(), id, uses, expires); err != nil {
			return "", nil, s.backendErr(err)
		}
		s.m.grants.WithLabelValues("limited", r.client.Name).Inc()
		s.audit.LogAttrs(r.Context(), slog.LevelInfo, "grant limited", slog.String("client", r.client.Name),
			slog.String("grant", id), slog.Int("maxUses", uses), slog.Time("expiresAt", expires.UTC()))
	}
	return id, []sigv4.Param{{Name: grant.Param, Value: id}}, nil
}

// RevokeResponse is the answer of the revocation routes.
type RevokeResponse struct {
	// Grant is the id revoked, for DELETE /v1/grants/{id}.
	Grant string `json:"grant,omitempty"`
	// Prefix is the key prefix revoked, for POST /v1/grants/revoke.
	Prefix string `json:"prefix,omitempty"`
	// RevokedAt is when it took effect: every URL of the grant (or signed
	// until then under the prefix) is refused from that moment.
	RevokedAt time.Time `json:"revokedAt"`
}

// revokeGrant is DELETE /v1/grants/{id}: a client revokes a grant of its
// own; an administrator, any.
func (s *Server) revokeGrant(r *request) (any, error) {
	id := r.PathValue("id")
	expires, ok := grant.Expires(id)
	if !ok {
		return nil, apiErr(CodeNoSuchGrant, "%q is not a grant id: use the \"grant\" of the answer that issued the URL", id)
	}
	admin := r.client.allows(OpAdmin)
	if !admin && !grant.Owns(s.cfg.UploadSecret, id, r.client.Name) {
		return nil, apiErr(CodeNoSuchGrant, "no grant %s was issued to this API key", id)
	}
	if s.backend.Grants == nil {
		return nil, s.unsupported("revoking a URL")
	}
	now := s.now()
	if expires.After(now.Add(-time.Minute)) { // an expired URL is refused anyway
		if err := s.backend.Grants.RevokeGrant(r.Context(), id, expires); err != nil {
			return nil, s.backendErr(err)
		}
	}
	s.revoked(r, slog.String("grant", id), admin)
	return &RevokeResponse{Grant: id, RevokedAt: now.UTC()}, nil
}

// revokeRequest is the body of POST /v1/grants/revoke.
type revokeRequest struct {
	Prefix string `json:"prefix"`
}

// revokePrefix is POST /v1/grants/revoke: every URL issued until now for
// a key under the prefix is refused. A client's prefix must lie in its
// own; an administrator's anywhere.
func (s *Server) revokePrefix(r *request, body *revokeRequest) (any, error) {
	admin := r.client.allows(OpAdmin)
	prefix := body.Prefix
	switch {
	case prefix == "" && !admin:
		prefix = r.client.Prefix + "/"
	case !admin && !strings.HasPrefix(prefix, r.client.Prefix+"/"):
		return nil, invalidField("prefix", "prefix %q is not under this API key's prefix %q/: give a prefix that starts with it, or none for all of it", prefix, r.client.Prefix)
	case strings.ContainsAny(prefix, "\x00\r\n"):
		return nil, invalidField("prefix", "prefix has a control character")
	}
	if s.backend.Grants == nil {
		return nil, s.unsupported("revoking URLs")
	}
	now := s.now()
	if err := s.backend.Grants.RevokeGrants(r.Context(), s.backend.Bucket, prefix, now); err != nil {
		return nil, s.backendErr(err)
	}
	s.revoked(r, slog.String("prefix", prefix), admin)
	return &RevokeResponse{Prefix: prefix, RevokedAt: now.Truncate(time.Second).UTC()}, nil
}

// revoked counts and audits a revocation.
func (s *Server) revoked(r *request, what slog.Attr, admin bool) {
	kind := "grant"
	if what.Key == "prefix" {
		kind = "prefix"
	}
	s.m.grants.WithLabelValues("revoked_"+kind, r.client.Name).Inc()
	s.audit.LogAttrs(r.Context(), slog.LevelInfo, "grants revoked", slog.String("client", r.client.Name), what,
		slog.Bool("admin", admin), slog.String("remote", s.remote(r.Request)))
}
