package issuer

import (
	"encoding/xml"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/postpolicy"
)

// Uppy's S3 protocol. @uppy/aws-s3 (6.x; 6.3.1 is the version tested)
// gets its URLs in one of two ways presign serves:
//
//   - companionEndpoint: the routes of Uppy's own server, Companion
//     (packages/@uppy/companion/src/server/controllers/s3.js), under /s3/.
//     The plugin fetches them with no custom headers and the default
//     credentials mode (same-origin), so a page on the service's own origin
//     authenticates them with the session cookie of POST /v1/session; a
//     bearer key works too, for other clients.
//   - signRequest: a page callback that posts each S3 request the browser
//     is about to send to POST /v1/uppy/sign and gets back its URL.
//
// The size policy holds on each path: a single upload is a POST form
// whose policy has content-length-range up to the client's limit (Uppy
// tells the server no size; signRequest answers a PUT URL instead where
// the client's limit is S3's own for one PUT, 5 GiB), and a multipart upload is completed only
// after the service has listed the parts storage holds and found them
// within the limit; over it, the service aborts the upload. Keys are made
// as for /v1 (prefix, unique id, sanitised file name), never taken from
// the page.
//
// GET /s3/sts, Companion's route that hands temporary AWS credentials to
// the browser, is refused: no secret of the service reaches a browser.

// modeUppy marks the upload tokens of Uppy's multipart routes, whose size
// is not known when the upload starts.
const modeUppy = "uppy"

// maxPartNumber is S3's highest part number.
const maxPartNumber = 10000

// maxSinglePut is S3's largest single PUT or POST upload.
const maxSinglePut = 5 << 30

// sessionCookie is the name of the session cookie.
const sessionCookie = "presign_session"

// SessionLife is how long a session cookie lasts.
const SessionLife = time.Hour

// sessionKind is the seal kind of session cookies.
const sessionKind = "session"

// holder is what a sealed token of the Uppy routes carries of its client:
// the client and the hash of the key it was made with, so that a key
// rotated or removed ends the token, and until when it works.
type holder struct {
	Client  string `json:"c"`
	KeyHash string `json:"h"`
	Expires int64  `json:"e"`
}

// holder returns the client of a token's holder, if its key is still
// valid and its time not over; what names the token in the refusals.
func (s *Server) holder(h *holder, what string, expired *Error) (*tenantState, error) {
	c := s.clients[h.KeyHash]
	if c == nil || c.Name != h.Client {
		return nil, apiErr(CodeUnauthorized, "%s's API key is no longer valid", what)
	}
	if s.now().Unix() > h.Expires {
		return nil, expired
	}
	return c, nil
}

// sessionToken is what the session cookie carries, sealed.
type sessionToken struct{ holder }

func (s *Server) uppyRoutes(mux *http.ServeMux) {
	uppy := func(pattern, op string, h func(*request) (any, error)) {
		mux.Handle(pattern, s.route(pattern, s.authed(op, true, h)))
	}
	mux.Handle("POST /v1/session", s.route("POST /v1/session", s.authed("", false, s.openSessionRoute)))
	uppy("DELETE /v1/session", "", s.closeSession)
	uppy("POST /v1/uppy/sign", "", withBody(s.uppySign))
	mux.Handle("POST /v1/uppy/complete/{token}", s.route("POST /v1/uppy/complete/{token}", s.uppyComplete))
	uppy("GET /s3/params", OpUpload, s.companionParams)
	uppy("POST /s3/multipart", OpMultipart, withBody(s.companionCreate))
	uppy("GET /s3/multipart/{id}", OpMultipart, s.companionList)
	uppy("GET /s3/multipart/{id}/batch", OpMultipart, s.companionBatch)
	uppy("GET /s3/multipart/{id}/{part}", OpMultipart, s.companionSignPart)
	uppy("POST /s3/multipart/{id}/complete", OpMultipart, withBody(s.companionComplete))
	uppy("DELETE /s3/multipart/{id}", OpMultipart, s.companionAbort)
	mux.Handle("GET /s3/sts", s.route("GET /s3/sts", func(http.ResponseWriter, *http.Request) error {
		return apiErr(CodeNoCredentials, "presign never hands AWS credentials to a browser: use Uppy's companionEndpoint (this service's /s3 routes) or signRequest (POST /v1/uppy/sign) instead of getCredentials")
	}))
}

// SessionResponse is the answer to POST /v1/session.
type SessionResponse struct {
	Client string `json:"client"`
	Expiry
}

// openSessionRoute is POST /v1/session: it exchanges the bearer key for a
// session cookie, HttpOnly and SameSite=Strict, that the service's /s3
// routes and POST /v1/uppy/sign accept from a page on the service's own
// origin (see [Server.openSession] for the CSRF checks).
func (s *Server) openSessionRoute(r *request) (any, error) {
	now := s.now()
	exp := now.Add(SessionLife)
	tok := s.seal(sessionKind, &sessionToken{holder{Client: r.client.Name, KeyHash: r.client.KeySHA256, Expires: exp.Unix()}})
	http.SetCookie(r.w, &http.Cookie{Name: sessionCookie, Value: tok, Path: "/", MaxAge: int(SessionLife / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure(r.Request)})
	return &SessionResponse{Client: r.client.Name, Expiry: expiry(exp, now)}, nil
}

// closeSession is DELETE /v1/session: the browser drops the cookie.
func (s *Server) closeSession(r *request) (any, error) {
	http.SetCookie(r.w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure(r.Request)})
	return nil, nil
}

// secure reports whether the page reached the service over HTTPS, where
// the cookie is marked Secure.
func (s *Server) secure(r *http.Request) bool {
	return r.TLS != nil || s.proxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// openSession authenticates a request by its session cookie. The cookie
// is SameSite=Strict, so a browser sends it only on requests from the
// service's own site; on top of that, a request that says it comes from
// another origin (Sec-Fetch-Site, or an Origin that is not the Host) is
// refused, whatever its method, as every route here signs or changes
// something.
func (s *Server) openSession(r *http.Request, value string) (*tenantState, error) {
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "", "same-origin", "none":
	default:
		return nil, apiErr(CodeForbidden, "the session cookie is accepted only from pages of this service's own origin (this request is %s); elsewhere, send the API key as a bearer token", site)
	}
	// Without Sec-Fetch-Site (older browsers), the Origin tells; with it,
	// the browser has said already (a reverse proxy may change the Host).
	if o := r.Header.Get("Origin"); o != "" && r.Header.Get("Sec-Fetch-Site") == "" {
		if u, err := url.Parse(o); err != nil || !strings.EqualFold(u.Host, r.Host) {
			return nil, apiErr(CodeForbidden, "the session cookie is accepted only from pages of this service's own origin, not %s; elsewhere, send the API key as a bearer token", o)
		}
	}
	var t sessionToken
	if !s.unseal(sessionKind, value, &t) {
		return nil, apiErr(CodeUnauthorized, "the session cookie is not valid; open a new session (POST /v1/session)")
	}
	return s.holder(&t.holder, "the session", apiErr(CodeUnauthorized, "the session has expired; open a new one (POST /v1/session)"))
}

// singleLimit is the largest single upload a client may send: its own
// limit, within S3's for one PUT or POST.
func singleLimit(c *Tenant) int64 { return min(c.maxSize(), maxSinglePut) }

// postForm signs a POST form for a new object key of type contentType, of
// any size up to the client's single-upload limit: the form's policy holds
// the size, as no size is known.
func (s *Server) postForm(r *request, key, contentType string, d time.Duration, now time.Time) (*postpolicy.Form, error) {
	form, err := s.backend.Presigner.PresignPost(r.Context(), &presign.PostInput{
		Bucket: s.backend.Bucket, Key: key, Expires: d, SigningTime: now, CapToCredentials: true,
		Fields:     []postpolicy.Field{{Name: "Content-Type", Value: contentType}},
		Conditions: []postpolicy.Condition{postpolicy.ContentLengthRange(0, singleLimit(r.client.Tenant))},
	})
	if err != nil {
		return nil, s.presignErr(err)
	}
	s.issued(r, "PostObject", key, form.Expires)
	return form, nil
}

// ParamsResponse is the answer to GET /s3/params, Companion's shape: a
// POST form (@uppy/aws-s3 6.3 posts the fields and the file; it reads only
// url and fields).
type ParamsResponse struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Fields  postpolicy.Fields `json:"fields"`
	Headers map[string]string `json:"headers"`
	// Expires is the form's lifetime in seconds, as Companion says it.
	Expires int64  `json:"expires"`
	Key     string `json:"key"`
}

// companionParams is GET /s3/params?filename=&type=: a POST form for a
// single upload. The metadata[...] parameters Uppy adds are not stored.
func (s *Server) companionParams(r *request) (any, error) {
	q := r.URL.Query()
	key, typ, err := s.newUppyKey(r, q.Get("filename"), q.Get("type"))
	if err != nil {
		return nil, err
	}
	d, err := r.client.expiry(false, 0)
	if err != nil {
		return nil, err
	}
	form, err := s.postForm(r, key, typ, d, s.now())
	if err != nil {
		return nil, err
	}
	return &ParamsResponse{Method: http.MethodPost, URL: form.URL, Fields: form.Fields, Headers: map[string]string{},
		Expires: int64(d / time.Second), Key: key}, nil
}

// newUppyKey checks a file name and type Uppy sent and makes the object's
// key; filename and type name the request members.
func (s *Server) newUppyKey(r *request, filename, typ string) (key, contentType string, err error) {
	if filename == "" {
		return "", "", invalidField("filename", "filename is required: the name of the file to upload")
	}
	if typ == "" {
		typ = "application/octet-stream"
	}
	if err := checkType(r.client.Tenant, "type", typ); err != nil {
		return "", "", err
	}
	key, kerr := uploadKey(r.client.Prefix, filename)
	if kerr != nil {
		return "", "", invalidField("filename", "%s", kerr.Error())
	}
	return key, typ, nil
}

// companionCreateRequest is the body of POST /s3/multipart.
type companionCreateRequest struct {
	Filename string         `json:"filename"`
	Type     string         `json:"type"`
	Metadata map[string]any `json:"metadata"`
}

// CreateResponse is the answer to POST /s3/multipart: the key and an
// upload id, which is the service's sealed token (it carries storage's
// upload id and is bound to the client).
type CreateResponse struct {
	Key      string `json:"key"`
	UploadID string `json:"uploadId"`
	Bucket   string `json:"bucket"`
}

func (s *Server) companionCreate(r *request, b *companionCreateRequest) (any, error) {
	key, typ, err := s.newUppyKey(r, b.Filename, b.Type)
	if err != nil {
		return nil, err
	}
	id, err := s.backend.CreateMultipartUpload(r.Context(), key, typ)
	if err != nil {
		return nil, s.backendErr(err)
	}
	t := &uploadToken{Key: key, UploadID: id, Client: r.client.Name, Type: typ, Mode: modeUppy,
		Expires: s.now().Add(multipartTokenLife).Unix()}
	s.issued(r, "CreateMultipartUpload", key, time.Unix(t.Expires, 0))
	return &CreateResponse{Key: key, UploadID: s.sealToken(t), Bucket: s.cfg.Bucket}, nil
}

// openUppyUpload opens the upload id of an /s3/multipart/{id} route and
// checks the key query parameter Uppy sends with it.
func (s *Server) openUppyUpload(r *request) (*uploadToken, error) {
	t, err := s.openToken(r, modeUppy)
	if err != nil {
		return nil, err
	}
	switch key, ok := r.URL.Query()["key"]; {
	case !ok:
		return nil, invalidField("key", `the object key must be passed as a query parameter, such as "?key=abc.jpg"`)
	case key[0] != t.Key:
		return nil, invalidField("key", "the key %q is not this upload's", key[0])
	}
	return t, nil
}

// partNumber parses a part number, 1 to 10,000.
func partNumber(field, v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxPartNumber {
		return 0, invalidField(field, "the part number %q is not a number from 1 to %d", v, maxPartNumber)
	}
	return n, nil
}

// signPart presigns the upload of one part of any size (S3 allows 5 GiB).
func (s *Server) signPart(r *request, key, uploadID string, n int, d time.Duration, now time.Time) (presign.Result, string, error) {
	return s.presignGranted(r, presign.UploadPart, &presign.Input{
		Bucket: s.backend.Bucket, Key: key, UploadID: uploadID, PartNumber: n,
	}, grantLimits{}, now, d, presign.Options{})
}

// PartURLResponse is the answer to GET /s3/multipart/{id}/{part}.
type PartURLResponse struct {
	URL     string `json:"url"`
	Expires int64  `json:"expires"`
	// Grant is the id of the URL's grant (a member Companion does not
	// have; Uppy ignores it).
	Grant string `json:"grant"`
}

func (s *Server) companionSignPart(r *request) (any, error) {
	t, err := s.openUppyUpload(r)
	if err != nil {
		return nil, err
	}
	n, err := partNumber("partNumber", r.PathValue("part"))
	if err != nil {
		return nil, err
	}
	d, err := r.client.expiry(false, 0)
	if err != nil {
		return nil, err
	}
	res, id, err := s.signPart(r, t.Key, t.UploadID, n, d, s.now())
	if err != nil {
		return nil, err
	}
	s.issued(r, "UploadPart", t.Key, res.Expires)
	return &PartURLResponse{URL: res.URL, Expires: int64(d / time.Second), Grant: id}, nil
}

// BatchResponse is the answer to GET /s3/multipart/{id}/batch.
type BatchResponse struct {
	PresignedURLs map[string]string `json:"presignedUrls"`
	// Grants are the URLs' grant ids, by part number.
	Grants map[string]string `json:"grants"`
}

// companionBatch signs several parts at once (?partNumbers=1,2,3), as
// older @uppy/aws-s3 versions ask; 6.x does not.
func (s *Server) companionBatch(r *request) (any, error) {
	t, err := s.openUppyUpload(r)
	if err != nil {
		return nil, err
	}
	list := r.URL.Query().Get("partNumbers")
	nums := strings.Split(list, ",")
	if list == "" || len(nums) > 100 {
		return nil, invalidField("partNumbers", `partNumbers must list 1 to 100 part numbers, comma-separated, such as "?partNumbers=4,6,7"`)
	}
	d, err := r.client.expiry(false, 0)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := &BatchResponse{PresignedURLs: map[string]string{}, Grants: map[string]string{}}
	var last time.Time
	for _, v := range nums {
		n, err := partNumber("partNumbers", v)
		if err != nil {
			return nil, err
		}
		res, id, err := s.signPart(r, t.Key, t.UploadID, n, d, now)
		if err != nil {
			return nil, err
		}
		out.PresignedURLs[v], out.Grants[v], last = res.URL, id, res.Expires
	}
	s.issued(r, "UploadPart", t.Key, last)
	return out, nil
}

// companionList is GET /s3/multipart/{id}: the parts storage holds, for
// Uppy to resume an upload without sending them again.
func (s *Server) companionList(r *request) (any, error) {
	t, err := s.openUppyUpload(r)
	if err != nil {
		return nil, err
	}
	return s.storedParts(r, t)
}

// companionCompleteRequest is the body of POST /s3/multipart/{id}/complete.
type companionCompleteRequest struct {
	Parts []struct {
		PartNumber int    `json:"PartNumber"`
		ETag       string `json:"ETag"`
	} `json:"parts"`
}

// CompletedResponse is the answer to POST /s3/multipart/{id}/complete.
type CompletedResponse struct {
	Location string `json:"location"`
	Key      string `json:"key"`
	Bucket   string `json:"bucket"`
}

func (s *Server) companionComplete(r *request, b *companionCompleteRequest) (any, error) {
	t, err := s.openUppyUpload(r)
	if err != nil {
		return nil, err
	}
	parts := make([]Part, len(b.Parts))
	for i, p := range b.Parts {
		parts[i] = Part{PartNumber: p.PartNumber, ETag: p.ETag}
	}
	if err := checkPartList(parts); err != nil {
		return nil, err
	}
	if err := s.checkStoredSize(r, t.Key, t.UploadID, parts); err != nil {
		return nil, err
	}
	done, err := s.backend.CompleteMultipartUpload(r.Context(), t.Key, t.UploadID, parts)
	if err != nil {
		return nil, s.backendErr(err)
	}
	return &CompletedResponse{Location: done.Location, Key: t.Key, Bucket: s.cfg.Bucket}, nil
}

// checkPartList checks the parts a client asks to assemble: 1 to 10,000,
// in ascending order, each with a number from 1 to 10,000 and an ETag.
func checkPartList(parts []Part) error {
	if len(parts) == 0 || len(parts) > maxPartNumber {
		return apiErr(CodeInvalidParts, "list 1 to %d parts, each with its PartNumber and ETag", maxPartNumber)
	}
	for i, p := range parts {
		if p.PartNumber < 1 || p.PartNumber > maxPartNumber || i > 0 && p.PartNumber <= parts[i-1].PartNumber || p.ETag == "" || len(p.ETag) > 200 {
			return apiErr(CodeInvalidParts, "part %d: list parts in ascending order, each with a number from 1 to %d and the ETag storage returned", i+1, maxPartNumber)
		}
	}
	return nil
}

// checkStoredSize lists the parts storage holds for an upload and checks
// that those to be assembled (all, when parts is nil) are there and
// within the client's size limit. Over the limit, it aborts the upload:
// its parts would only take room.
//
// A listed part counts only with the ETag the client asks to assemble:
// the size checked is then that of the part storage will assemble, since
// storage refuses the completion if the part is replaced after the
// listing (a client knows a part's ETag, its MD5, before sending it).
func (s *Server) checkStoredSize(r *request, key, uploadID string, parts []Part) error {
	stored, err := s.backend.ListParts(r.Context(), key, uploadID)
	if err != nil {
		return s.backendErr(err)
	}
	byNumber := make(map[int]StoredPart, len(stored))
	var total int64
	for _, p := range stored {
		byNumber[p.PartNumber] = p
		total += p.Size
	}
	if parts != nil {
		total = 0
		for _, p := range parts {
			sp, ok := byNumber[p.PartNumber]
			if !ok {
				return apiErr(CodeInvalidParts, "part %d is not in storage: upload it first", p.PartNumber)
			}
			if !strings.EqualFold(strings.Trim(p.ETag, `"`), sp.ETag) {
				return apiErr(CodeInvalidParts, "part %d's ETag is not that of the part storage holds: list the parts again, or upload the part again", p.PartNumber)
			}
			total += sp.Size
		}
	}
	if limit := r.client.maxSize(); total > limit {
		if err := s.backend.AbortMultipartUpload(r.Context(), key, uploadID); err != nil {
			s.log.LogAttrs(r.Context(), logLevel(r.Request, http.StatusBadGateway), "aborting an upload over the size limit failed",
				slog.String("key", key), slog.String("err", err.Error()))
		}
		return apiErr(CodeTooLarge, "the parts add up to %d bytes; this API key may upload at most %d, so the upload is aborted", total, limit)
	}
	return nil
}

func (s *Server) companionAbort(r *request) (any, error) {
	t, err := s.openUppyUpload(r)
	if err != nil {
		return nil, err
	}
	if err := s.backend.AbortMultipartUpload(r.Context(), t.Key, t.UploadID); err != nil {
		return nil, s.backendErr(err)
	}
	return struct{}{}, nil
}

// signRequest is the body of POST /v1/uppy/sign: what @uppy/aws-s3's
// signRequest callback receives (src/s3-client/types.ts, 6.3.1), for each
// S3 request the browser is about to send.
type signRequest struct {
	Method      string `json:"method"`
	Key         string `json:"key"`
	UploadID    string `json:"uploadId"`
	PartNumber  int    `json:"partNumber"`
	ContentType string `json:"contentType"`
	ExpiresIn   int64  `json:"expiresIn"`
}

// uppySign signs one S3 request of Uppy's signRequest mode. The operation
// is told by the method and the members set, as the plugin sends them:
//
//	PUT    key, contentType         PutObject: a POST form with the size limit,
//	                                or a PUT URL where the client's limit is S3's
//	POST   key                      CreateMultipartUpload (a new key)
//	PUT    key, uploadId, partNumber UploadPart
//	GET    key, uploadId            ListParts
//	POST   key, uploadId            CompleteMultipartUpload, once the parts
//	                                storage holds are within the size limit
//	DELETE key, uploadId            AbortMultipartUpload
//	DELETE key                      DeleteObject (needs the delete right)
//
// Keys of existing uploads and objects must lie under the client's
// prefix; storage's upload id is then only good for the client's own keys.
func (s *Server) uppySign(r *request, q *signRequest) (any, error) {
	c := r.client
	d, err := c.expiry(false, q.ExpiresIn)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if len(q.UploadID) > 1024 || strings.ContainsAny(q.UploadID, "\x00\r\n") {
		return nil, invalidField("uploadId", "uploadId is not an upload id storage gave")
	}
	method := strings.ToUpper(q.Method)
	var op presign.Operation
	switch {
	case method == http.MethodPut && q.UploadID == "" && q.PartNumber == 0:
		if !c.allows(OpUpload) {
			return nil, forbidden(OpUpload)
		}
		key, typ, err := s.newUppyKey(r, path.Base(q.Key), q.ContentType)
		if err != nil {
			return nil, err
		}
		if c.maxSize() >= maxSinglePut {
			// No limit below S3's own for one PUT: a PUT URL, its
			// Content-Type signed, which the plugin sends as given.
			in := &presign.Input{Bucket: s.backend.Bucket, Key: key, ContentType: typ}
			res, id, err := s.presignGranted(r, presign.PutObject, in, grantLimits{}, now, d, presign.Options{})
			if err != nil {
				return nil, err
			}
			s.issued(r, string(presign.PutObject), key, res.Expires)
			return &UploadResponse{Key: key, Method: res.Method, URL: res.URL, Headers: headerMap(res.Header), Grant: id, Expiry: expiry(res.Expires, now)}, nil
		}
		form, err := s.postForm(r, key, typ, d, now)
		if err != nil {
			return nil, err
		}
		return &UploadResponse{Key: key, Method: http.MethodPost, URL: form.URL, Fields: form.Fields, Expiry: expiry(form.Expires, now)}, nil
	case method == http.MethodPost && q.UploadID == "":
		if !c.allows(OpMultipart) {
			return nil, forbidden(OpMultipart)
		}
		// Uppy sends the file's type on the request itself, not to the
		// signer: the name's extension stands for it in the policy. Where
		// the client's types are restricted, that type is signed (and
		// answered in headers, which @uppy/aws-s3 sends in place of the
		// file's own type), so that the upload cannot carry another.
		name := path.Base(q.Key)
		typ := mime.TypeByExtension(path.Ext(name))
		in := &presign.Input{Bucket: s.backend.Bucket}
		if len(c.ContentTypes) > 0 {
			if typ == "" {
				return nil, apiErr(CodeContentTypeNotAllowed, "the type of %q cannot be told from its name, and this API key allows only %s", name, strings.Join(c.ContentTypes, ", "))
			}
			if err := checkType(c.Tenant, "key", typ); err != nil {
				return nil, err
			}
			in.ContentType = typ
		}
		key, err := uploadKey(c.Prefix, name)
		if err != nil {
			return nil, invalidField("key", "%s", err.Error())
		}
		in.Key = key
		res, err := s.backend.urls(presign.CreateMultipartUpload).Presign(r.Context(), presign.CreateMultipartUpload, in,
			presign.Options{Expires: d, SigningTime: now, CapToCredentials: true})
		if err != nil {
			return nil, s.presignErr(err)
		}
		s.issued(r, string(presign.CreateMultipartUpload), key, res.Expires)
		return &UploadResponse{Key: key, Method: res.Method, URL: res.URL, Headers: headerMap(res.Header), Expiry: expiry(res.Expires, now)}, nil
	case method == http.MethodPut && q.UploadID != "":
		op = presign.UploadPart
	case method == http.MethodGet && q.UploadID != "":
		op = presign.ListParts
	case method == http.MethodPost:
		op = presign.CompleteMultipartUpload
	case method == http.MethodDelete && q.UploadID != "":
		op = presign.AbortMultipartUpload
	case method == http.MethodDelete:
		op = presign.DeleteObject
	default:
		return nil, invalidField("method", "method %q with these members is not a request Uppy sends: PUT, POST, GET or DELETE, with uploadId for a multipart upload's requests", q.Method)
	}
	right := OpMultipart
	if op == presign.DeleteObject {
		right = OpDelete
	}
	if !c.allows(right) {
		return nil, forbidden(right)
	}
	if err := CheckKey(c.Prefix, q.Key); err != nil {
		return nil, keyErr(err)
	}
	in := &presign.Input{Bucket: s.backend.Bucket, Key: q.Key, UploadID: q.UploadID}
	switch op {
	case presign.UploadPart:
		if q.PartNumber < 1 || q.PartNumber > maxPartNumber {
			return nil, invalidField("partNumber", "partNumber %d is not from 1 to %d", q.PartNumber, maxPartNumber)
		}
		in.PartNumber = q.PartNumber
	case presign.CompleteMultipartUpload:
		// Not a URL of storage's: a presigned completion binds no body, so
		// parts could be swapped after any check. The browser posts its
		// CompleteMultipartUpload to the service, which checks the parts
		// and completes the upload itself (uppyComplete).
		exp := now.Add(d)
		tok := s.seal(completeKind, &completeToken{holder: holder{Client: c.Name, KeyHash: c.KeySHA256, Expires: exp.Unix()}, Key: q.Key, UploadID: q.UploadID})
		return &UploadResponse{Key: q.Key, Method: http.MethodPost, URL: s.origin(r.Request) + "/v1/uppy/complete/" + tok, Expiry: expiry(exp, now)}, nil
	}
	res, id, err := s.presignGranted(r, op, in, grantLimits{}, now, d, presign.Options{})
	if err != nil {
		return nil, err
	}
	s.issued(r, string(op), q.Key, res.Expires)
	return &UploadResponse{Key: q.Key, Method: res.Method, URL: res.URL, Headers: headerMap(res.Header), Grant: id, Expiry: expiry(res.Expires, now)}, nil
}

// completeKind is the seal kind of the completion URLs of signRequest mode.
const completeKind = "complete"

// completeToken is what a completion URL carries, sealed: whose upload it
// is, and until when the URL works.
type completeToken struct {
	holder
	Key      string `json:"k"`
	UploadID string `json:"u"`
}

// origin is the scheme and host the client reached the service at.
func (s *Server) origin(r *http.Request) string {
	scheme, host := "http", r.Host
	if s.secure(r) {
		scheme = "https"
	}
	if h := r.Header.Get("X-Forwarded-Host"); s.proxy && h != "" {
		host = h
	}
	return scheme + "://" + host
}

// maxCompleteBody bounds a CompleteMultipartUpload document: 10,000 parts
// of about a hundred bytes each.
const maxCompleteBody = 2 << 20

// uppyComplete is POST /v1/uppy/complete/{token}, the URL signRequest
// mode gets for CompleteMultipartUpload: the browser posts the
// CompleteMultipartUpload document it would send to S3 (@uppy/aws-s3
// 6.3.1, src/s3-client/S3mini.ts), and the service completes the upload
// once the parts storage holds are within the client's limit, each with
// the ETag listed (see checkStoredSize). It answers as S3 does, in XML,
// errors included (the plugin reads S3's Error document), since the
// plugin takes it for an S3 request. The sealed token is the
// authentication, as a presigned URL's signature is; the client's rate
// limit applies.
func (s *Server) uppyComplete(w http.ResponseWriter, hr *http.Request) error {
	res, err := s.completeByToken(w, hr)
	if err != nil {
		ae := s.failed(w, hr, "POST /v1/uppy/complete/{token}", err)
		return writeXML(w, ae.Status(), &s3Error{Code: string(ae.Code), Message: ae.Message})
	}
	return writeXML(w, http.StatusOK, res)
}

// completeResult is S3's CompleteMultipartUploadResult.
type completeResult struct {
	XMLName  xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CompleteMultipartUploadResult"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
}

// s3Error is S3's Error document.
type s3Error struct {
	XMLName xml.Name `xml:"Error"`
	Code    string   `xml:"Code"`
	Message string   `xml:"Message"`
}

func writeXML(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/xml") // exactly: the plugin parses no other
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	io.WriteString(w, xml.Header)
	return xml.NewEncoder(w).Encode(v)
}

func (s *Server) completeByToken(w http.ResponseWriter, hr *http.Request) (*completeResult, error) {
	var t completeToken
	if !s.unseal(completeKind, hr.PathValue("token"), &t) {
		return nil, apiErr(CodeNoSuchUpload, "this completion URL is not one the service made")
	}
	c, err := s.holder(&t.holder, "this completion URL", apiErr(CodeUploadExpired, "this completion URL has expired; sign the completion again"))
	if err != nil {
		return nil, err
	}
	if c.limiter != nil && !c.limiter.Allow() {
		return nil, apiErr(CodeRateLimited, "too many requests for this API key; retry shortly")
	}
	var doc struct {
		Parts []Part `xml:"Part"`
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, hr.Body, maxCompleteBody))
	if err != nil {
		return nil, apiErr(CodeRequestTooLarge, "the CompleteMultipartUpload document is over %d bytes", maxCompleteBody)
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		return nil, apiErr(CodeInvalidParts, "the body is not a CompleteMultipartUpload document: %v", err)
	}
	if err := checkPartList(doc.Parts); err != nil {
		return nil, err
	}
	r := &request{Request: hr, w: w, client: c}
	if err := s.checkStoredSize(r, t.Key, t.UploadID, doc.Parts); err != nil {
		return nil, err
	}
	done, err := s.backend.CompleteMultipartUpload(hr.Context(), t.Key, t.UploadID, doc.Parts)
	if err != nil {
		return nil, s.backendErr(err)
	}
	return &completeResult{Location: done.Location, Bucket: s.cfg.Bucket, Key: t.Key, ETag: `"` + done.ETag + `"`}, nil
}
