package s3server

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/presign-dev/presign/internal/httpx"
	"github.com/presign-dev/presign/sigv4"
)

// clientGone reports whether the client of r is gone: writing the answer
// to it failed, or it closed the connection. What is left of the answer
// cannot reach it, and that is no fault of the server's.
func clientGone(r *http.Request) bool {
	st := stateOf(r)
	return st.w != nil && st.w.WriteErr != nil || r.Context().Err() != nil
}

// accessLog writes one record about a finished request, at INFO, or WARN
// for a 5xx answer. It logs no header, no body and no secret query value
// ([sigv4.RedactURL]). A client that went away before the whole answer
// reached it is marked client_gone.
func (h *Handler) accessLog(r *http.Request, st *reqState, w *httpx.Recorder) {
	status := w.Status
	if status == 0 {
		status = http.StatusOK
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelWarn
	}
	if !h.log.Enabled(r.Context(), level) {
		return // nothing to redact and format for a discarded record
	}
	attrs := []slog.Attr{
		slog.String("request_id", st.id),
		slog.String("method", r.Method),
		slog.String("path", sigv4.RedactURL(st.resource)),
		slog.String("query", sigv4.RedactURL(r.URL.RawQuery)),
		slog.Int("status", status),
		slog.Int64("bytes", w.Bytes),
		slog.Duration("duration", h.now().Sub(st.start)),
		slog.String("remote", r.RemoteAddr),
	}
	if st.auth != nil {
		attrs = append(attrs, slog.String("payload", payloadMode(st.auth.PayloadHash)))
	}
	if st.code != "" {
		attrs = append(attrs, slog.String("code", string(st.code)))
	}
	if w.WriteErr != nil || r.Context().Err() != nil {
		attrs = append(attrs, slog.Bool("client_gone", true))
	}
	h.log.LogAttrs(r.Context(), level, "s3 request", attrs...)
}

// payloadMode names how a request's body was authenticated, for the log:
// "sha256" for a signed hash, else the x-amz-content-sha256 mode.
func payloadMode(ph string) string {
	if len(ph) == 64 && !strings.HasPrefix(ph, "STREAMING-") {
		return "sha256"
	}
	return ph
}
