package s3server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/presign-dev/presign/internal/grant"
	"github.com/presign-dev/presign/objstore"
	"github.com/presign-dev/presign/s3err"
	"github.com/presign-dev/presign/sigv4"
)

// beginGrant checks the grant id of a verified request, if it has one,
// and returns the writer that spends its use when a success starts (nil
// without a grant id).
func (h *Handler) beginGrant(w http.ResponseWriter, r *http.Request, st *reqState, a *sigv4.Auth) (*grantWriter, error) {
	if !strings.Contains(r.URL.RawQuery, grant.Param+"=") {
		return nil, nil
	}
	q, err := sigv4.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, s3err.New(s3err.InvalidArgument, "The query string is malformed.")
	}
	id, n := "", 0
	for _, p := range q {
		if p.Name == grant.Param {
			id, n = p.Value, n+1
		}
	}
	if n == 0 {
		return nil, nil
	}
	if _, ok := grant.Expires(id); !ok || n > 1 {
		return nil, s3err.New(s3err.AccessDenied, "Access Denied: the "+grant.Param+" parameter is not one grant id issued by presign serve.")
	}
	use, err := h.grants.BeginGrantUse(id, st.bucket, st.key, a.Time)
	switch {
	case errors.Is(err, objstore.ErrGrantRevoked), errors.Is(err, objstore.ErrGrantUsedUp):
		return nil, s3err.New(s3err.AccessDenied, "Access Denied: %s.", strings.TrimPrefix(err.Error(), "objstore: "))
	case err != nil:
		return nil, err
	}
	return &grantWriter{ResponseWriter: w, h: h, r: r, use: use}, nil
}

// grantWriter spends a grant's use when the response starts with a
// success, and gives it back when the request ends otherwise.
type grantWriter struct {
	http.ResponseWriter
	h       *Handler
	r       *http.Request
	use     objstore.GrantUse
	started bool
	// failed is set when the use could not be spent: the handler's
	// response is dropped for the error written instead.
	failed bool
}

func (g *grantWriter) WriteHeader(code int) {
	if g.started {
		if !g.failed {
			g.ResponseWriter.WriteHeader(code)
		}
		return
	}
	g.started = true
	if code >= 200 && code < 300 {
		if err := g.use.Commit(); err != nil {
			g.failed = true
			g.h.writeError(g.ResponseWriter, g.r, err)
			return
		}
	} else {
		g.use.Release()
	}
	g.ResponseWriter.WriteHeader(code)
}

func (g *grantWriter) Write(p []byte) (int, error) {
	if !g.started {
		g.WriteHeader(http.StatusOK)
	}
	if g.failed {
		return len(p), nil
	}
	return g.ResponseWriter.Write(p)
}

// Unwrap gives http.ResponseController the writer underneath.
func (g *grantWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

// end gives the use back if no response started.
func (g *grantWriter) end() { g.use.Release() }
