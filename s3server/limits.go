package s3server

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/presign-dev/presign/s3err"
)

// Limits on what a request may carry, checked first and cheaply, before
// anything of the request is parsed or its signature computed: a client
// controls every one of these sizes, and the verifier's work grows with
// them. README.md lists them with the error each answers.
const (
	// MaxHeaderSection is the most bytes of request headers (names,
	// values and their separators, as on the wire): S3's figure, from
	// its RequestHeaderSectionTooLarge answer (MaxSizeAllowed 8192).
	MaxHeaderSection = 8192
	// MaxRequestURI is the longest request target (path and query, as
	// sent). S3 documents no figure; this leaves room for a 1024-byte key
	// encoded three times over, a session token and every response-*
	// override.
	MaxRequestURI = 16 << 10
	// MaxQueryParams is the most query parameters a request may have. S3
	// documents no figure; its own requests use fewer than twenty.
	MaxQueryParams = 1000
	// MaxHeaderBytes is what the store's http.Server should be given as
	// its MaxHeaderBytes: past it net/http itself refuses the request
	// (431, rewritten as S3 XML by [Listener]); below it the handler
	// answers with the limits above.
	MaxHeaderBytes = 64 << 10
	// HeavyHead is the size of request line or of header section from
	// which a request is large: it is parsed and its signature verified in
	// the lane of large requests (Options.Lane), so that many of them take
	// only the lane's share of the CPU. Ordinary presigned URLs and SDK
	// requests are under 2 KiB.
	HeavyHead = 4 << 10
	// heavyBody is the size of XML body from which it is parsed in the
	// lane: a DeleteObjects or CompleteMultipartUpload of a few hundred
	// entries.
	heavyBody = 64 << 10
	// DefaultBodyIdleTimeout is how long a request body may go without a
	// byte arriving before the request is cut: a slow but live upload
	// survives any total duration.
	DefaultBodyIdleTimeout = time.Minute
)

// withLimits refuses a request over the limits above with S3's error,
// before any other middleware reads it, and gives its body an idle-read
// deadline.
func (h *Handler) withLimits(next http.Handler) http.Handler {
	return h.adapt(func(w http.ResponseWriter, r *http.Request) error {
		// A large request waits for the lane first, even one the limits
		// below refuse: net/http has parsed its head already (about
		// 0.4 ms for 8 KiB of headers), and a flood of them would take
		// every core. It leaves once its signature is verified (withAuth),
		// or at the latest when it is answered.
		head := headerSection(r)
		if head > HeavyHead || len(r.RequestURI) > HeavyHead {
			if err := enterLane(r); err != nil {
				return err
			}
			defer stateOf(r).leaveLane()
		}
		if n := len(r.RequestURI); n > MaxRequestURI {
			return s3err.New(s3err.InvalidURI, "Couldn't parse the specified URI: it is %d bytes long, and this server accepts at most %d.", n, MaxRequestURI).
				With("MaxSizeAllowed", strconv.Itoa(MaxRequestURI))
		}
		if n := strings.Count(r.URL.RawQuery, "&") + 1; r.URL.RawQuery != "" && n > MaxQueryParams {
			return s3err.New(s3err.InvalidArgument, "The request has %d query parameters; at most %d are accepted.", n, MaxQueryParams).
				With("ArgumentName", "query").With("ArgumentValue", strconv.Itoa(n))
		}
		if head > MaxHeaderSection {
			return s3err.New(s3err.RequestHeaderSectionTooLarge, "Your request header section exceeds the maximum allowed size.").
				With("MaxSizeAllowed", strconv.Itoa(MaxHeaderSection))
		}
		if r.Body != nil && r.Body != http.NoBody && h.bodyIdle > 0 {
			r.Body = &idleBody{ReadCloser: r.Body, rc: http.NewResponseController(w), idle: h.bodyIdle}
		}
		next.ServeHTTP(w, r)
		return nil
	})
}

// enterLane waits for a slot in the lane of large requests, unless the
// request holds one already; it answers 503 SlowDown, as S3 does under
// load, when none comes in time.
func enterLane(r *http.Request) error {
	st := stateOf(r)
	if st.leave != nil || st.lane == nil {
		return nil
	}
	leave, ok := st.lane.Enter(r.Context())
	if !ok {
		return s3err.New(s3err.SlowDown, "Please reduce your request rate.")
	}
	st.leave = leave
	return nil
}

// leaveLane leaves the lane of large requests, if the request is in it.
func (st *reqState) leaveLane() {
	if st.leave != nil {
		st.leave()
		st.leave = nil
	}
}

// headerSection is the size of r's header section as sent: "Name: value"
// and CRLF for each field, the Host header included.
func headerSection(r *http.Request) int {
	n := len("Host: \r\n") + len(r.Host)
	for name, vals := range r.Header {
		for _, v := range vals {
			n += len(name) + len(v) + 4
		}
	}
	return n
}

// idleBody is a request body whose every read must bring a byte within
// idle: the connection's read deadline moves forward as data comes (at
// most eight times per idle period, to keep the cost off the hot path).
type idleBody struct {
	io.ReadCloser
	rc    *http.ResponseController
	idle  time.Duration
	moved time.Time
}

func (b *idleBody) Read(p []byte) (int, error) {
	if now := time.Now(); now.Sub(b.moved) >= b.idle/8 {
		// An error means the connection has no deadlines (HTTP/2 or a
		// test recorder): the body is then read as it is.
		if b.rc.SetReadDeadline(now.Add(b.idle)) == nil {
			b.moved = now
		}
	}
	return b.ReadCloser.Read(p)
}

// Listener returns l with net/http's own answers to requests it cannot
// parse (431 for a header section over the server's MaxHeaderBytes, 400
// for malformed HTTP such as two Content-Length headers, 501 for an
// unknown transfer coding) rewritten as S3 XML error responses, which S3
// clients can read. Serve the store's http.Server on it. Responses of the
// handler pass through untouched.
func Listener(l net.Listener) net.Listener { return &xmlListener{l} }

type xmlListener struct{ net.Listener }

func (l *xmlListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &xmlConn{Conn: c}, nil
}

type xmlConn struct{ net.Conn }

// netHTTPErrorHeaders is what net/http writes after the status line of
// the answers it makes itself, before any handler runs; a handler's
// response always has more headers (Date, X-Amz-Request-Id), so it never
// matches.
const netHTTPErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

func (c *xmlConn) Write(b []byte) (int, error) {
	if !bytes.HasPrefix(b, []byte("HTTP/1.1 ")) {
		return c.Conn.Write(b)
	}
	i := bytes.Index(b, []byte(netHTTPErrorHeaders))
	if i < 0 || bytes.IndexByte(b[:i], '\n') >= 0 || len(b) < len("HTTP/1.1 400") {
		return c.Conn.Write(b)
	}
	status, _ := strconv.Atoi(string(b[len("HTTP/1.1 "):len("HTTP/1.1 400")]))
	var e *s3err.Error
	switch status {
	case http.StatusRequestHeaderFieldsTooLarge:
		e = s3err.New(s3err.RequestHeaderSectionTooLarge, "Your request header section exceeds the maximum allowed size.").
			With("MaxSizeAllowed", strconv.Itoa(MaxHeaderSection))
	case http.StatusNotImplemented:
		e = s3err.New(s3err.NotImplemented, "A header you provided implies functionality that is not implemented").With("Header", "Transfer-Encoding")
	default:
		e = s3err.New(s3err.BadRequest, "An error occurred when parsing the HTTP request.")
		// net/http's body is "400 Bad Request", with ": reason" for some.
		if _, reason, ok := strings.Cut(string(b[i+len(netHTTPErrorHeaders):]), ": "); ok {
			e = e.With("Reason", strings.TrimSpace(reason))
		}
	}
	var body bytes.Buffer
	id := newRequestID()
	e.WriteXML(&body, "", id)
	var out bytes.Buffer
	out.WriteString("HTTP/1.1 " + strconv.Itoa(e.Status()) + " " + http.StatusText(e.Status()) + "\r\n")
	out.WriteString("Content-Type: application/xml\r\n")
	out.WriteString("Content-Length: " + strconv.Itoa(body.Len()) + "\r\n")
	out.WriteString("Server: " + ServerName + "\r\n")
	out.WriteString("X-Amz-Request-Id: " + id + "\r\n")
	out.WriteString("Connection: close\r\n\r\n")
	out.Write(body.Bytes())
	if _, err := c.Conn.Write(out.Bytes()); err != nil {
		return 0, err
	}
	return len(b), nil
}
