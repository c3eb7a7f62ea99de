package s3server

import (
	"log/slog"
	"net/http"
	"strings"
)

// logWriter records the status and size of a response for the access log.
type logWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

// WriteHeader records the status.
func (w *logWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records the size, and the status 200 of a response written
// without WriteHeader.
func (w *logWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (w *logWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// secretParams are the query parameters whose values the access log
// redacts, lower case: together with the URL they would let a reader of the
// log replay a presigned request.
var secretParams = map[string]bool{
	"x-amz-signature":      true,
	"x-amz-credential":     true,
	"x-amz-security-token": true,
	"signature":            true,
	"awsaccesskeyid":       true,
}

// redactQuery returns raw with the values of secretParams replaced by
// "REDACTED".
func redactQuery(raw string) string {
	if raw == "" {
		return ""
	}
	parts := strings.Split(raw, "&")
	for i, part := range parts {
		name, _, _ := strings.Cut(part, "=")
		if secretParams[strings.ToLower(name)] || secretParams[strings.ToLower(unescapeLoose(name))] {
			parts[i] = name + "=REDACTED"
		}
	}
	return strings.Join(parts, "&")
}

// unescapeLoose decodes %XX escapes, leaving malformed ones as they are.
func unescapeLoose(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				b.WriteByte(hi<<4 | lo)
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// accessLog writes one record about a finished request. It logs no
// header, no body and no secret query value.
func (h *Handler) accessLog(r *http.Request, st *reqState, w *logWriter) {
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	attrs := []slog.Attr{
		slog.String("request_id", st.id),
		slog.String("method", r.Method),
		slog.String("path", st.resource),
		slog.String("query", redactQuery(r.URL.RawQuery)),
		slog.Int("status", status),
		slog.Int64("bytes", w.bytes),
		slog.Duration("duration", h.now().Sub(st.start)),
		slog.String("remote", r.RemoteAddr),
	}
	if st.auth != nil {
		attrs = append(attrs, slog.String("payload", payloadMode(st.auth.PayloadHash)))
	}
	if st.code != "" {
		attrs = append(attrs, slog.String("code", string(st.code)))
	}
	h.log.LogAttrs(r.Context(), slog.LevelInfo, "s3 request", attrs...)
}

// payloadMode names how a request's body was authenticated, for the log:
// "sha256" for a signed hash, else the x-amz-content-sha256 mode.
func payloadMode(ph string) string {
	if len(ph) == 64 && !strings.HasPrefix(ph, "STREAMING-") {
		return "sha256"
	}
	return ph
}
