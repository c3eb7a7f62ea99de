// Command gosdk is the Go peer of presign serve's load run: a net/http
// server whose POST /v1/uploads does what presign's does, the way one
// would write it with aws-sdk-go-v2: the same JSON in and out, a bearer
// API key checked by its SHA-256, the request validated strictly, a fresh
// uuid in the key, and a PUT URL from s3.PresignClient with Content-Type
// and Content-Length signed.
//
//	API_KEY=psk_... go run ./peers/gosdk -addr 127.0.0.1:8082
//
// It presigns for -store (default http://127.0.0.1:9000, path-style,
// us-east-1) with static credentials from AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY (AWS's documentation keys by default), so it never
// calls the network: its HTTP client fails every request, and says so.
package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"mime"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

const expires = 15 * time.Minute // presign's default upload expiry

func main() {
	addr := flag.String("addr", "127.0.0.1:8082", "listen address (127.0.0.1 only)")
	store := flag.String("store", "http://127.0.0.1:9000", "the S3 endpoint URLs are for")
	bucket := flag.String("bucket", "uploads", "the bucket")
	flag.Parse()
	key := os.Getenv("API_KEY")
	if key == "" {
		log.Fatal("gosdk peer: set API_KEY")
	}
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		id, secret = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	}
	client := s3.New(s3.Options{
		Region:       "us-east-1",
		Credentials:  awscreds.NewStaticCredentialsProvider(id, secret, ""),
		BaseEndpoint: aws.String(*store),
		UsePathStyle: true,
		// No checksum of a body the signer never sees.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		HTTPClient:                 noNetwork{},
	})
	p := &peer{presigner: s3.NewPresignClient(client), bucket: *bucket, keyHash: sha256.Sum256([]byte(key))}

	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/uploads", p.upload)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	if host, _, _ := net.SplitHostPort(ln.Addr().String()); host != "127.0.0.1" {
		log.Fatalf("gosdk peer: listens on 127.0.0.1 only, not %s", host)
	}
	fmt.Printf("gosdk peer listening on http://%s\n", ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

// noNetwork fails every request: presigning must not send any.
type noNetwork struct{}

func (noNetwork) Do(r *http.Request) (*http.Response, error) {
	log.Printf("gosdk peer: the SDK tried to call %s", r.URL)
	return nil, errors.New("gosdk peer: no network")
}

type peer struct {
	presigner *s3.PresignClient
	bucket    string
	keyHash   [32]byte
}

type uploadRequest struct {
	Filename    string `json:"filename"`
	ContentType string `json:"contentType"`
	Size        *int64 `json:"size"`
}

type uploadResponse struct {
	Key       string            `json:"key"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers"`
	ExpiresAt time.Time         `json:"expiresAt"`
	ExpiresIn int64             `json:"expiresIn"`
}

func fail(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func (p *peer) upload(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	h := sha256.Sum256([]byte(strings.TrimSpace(token)))
	if !ok || subtle.ConstantTimeCompare(h[:], p.keyHash[:]) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="presign"`)
		fail(w, http.StatusUnauthorized, "unauthorized", "the API key is not valid")
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			fail(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "send the request as application/json")
			return
		}
	}
	var u uploadRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&u); err != nil {
		fail(w, http.StatusBadRequest, "invalid_json", err.Error())
		return
	}
	name := safeName(u.Filename)
	switch {
	case name == "":
		fail(w, http.StatusBadRequest, "invalid_field", "filename is required")
		return
	case u.Size == nil || *u.Size < 0 || *u.Size > 5<<40:
		fail(w, http.StatusBadRequest, "invalid_field", "size is not a valid size")
		return
	}
	if mt, _, err := mime.ParseMediaType(u.ContentType); err != nil || !strings.Contains(mt, "/") {
		fail(w, http.StatusBadRequest, "invalid_field", "contentType is not a media type")
		return
	}
	key := "local/" + newUUID() + "/" + name
	now := time.Now()
	req, err := p.presigner.PresignPutObject(r.Context(), &s3.PutObjectInput{
		Bucket: aws.String(p.bucket), Key: aws.String(key), ContentType: aws.String(u.ContentType), ContentLength: u.Size,
	}, s3.WithPresignExpires(expires))
	if err != nil {
		fail(w, http.StatusInternalServerError, "presign_failed", "could not sign the request")
		return
	}
	headers := map[string]string{}
	for k, v := range req.SignedHeader {
		if !strings.EqualFold(k, "Host") && len(v) > 0 {
			headers[http.CanonicalHeaderKey(k)] = v[0]
		}
	}
	writeJSON(w, http.StatusOK, &uploadResponse{Key: key, Method: req.Method, URL: req.URL, Headers: headers,
		ExpiresAt: now.Add(expires).UTC(), ExpiresIn: int64(expires / time.Second)})
}

// safeName keeps the last path element of a file name, without control
// characters.
func safeName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, name))
	if name == "." || name == ".." || len(name) > 255 {
		return ""
	}
	return name
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
