package s3server

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/presign-dev/presign/objstore"
	"github.com/presign-dev/presign/s3err"
)

// A bucket's CORS configuration (PutBucketCors, GetBucketCors,
// DeleteBucketCors) is kept by the store (objstore.BucketConfigs) as the
// document "cors", and applied as S3 applies it: to a preflight, the first
// rule whose origin, method and every requested header match answers; to
// a request, the first rule whose origin and method match adds its
// headers; no rule matching, the preflight is refused and the request
// gets no CORS headers. A bucket with no configuration falls back to
// Options.CORS (serve's --cors-origin).

// corsConfigName is the name of the CORS document in the store.
const corsConfigName = "cors"

// maxCORSRules is S3's limit on the rules of one configuration.
const maxCORSRules = 100

// corsConfiguration is the XML of PutBucketCors and GetBucketCors.
type corsConfiguration struct {
	XMLName xml.Name   `xml:"CORSConfiguration"`
	Xmlns   string     `xml:"xmlns,attr,omitempty"`
	Rules   []corsRule `xml:"CORSRule"`
	Unknown anyElems   `xml:",any"`
}

type corsRule struct {
	ID             string   `xml:"ID,omitempty"`
	AllowedHeaders []string `xml:"AllowedHeader"`
	AllowedMethods []string `xml:"AllowedMethod"`
	AllowedOrigins []string `xml:"AllowedOrigin"`
	ExposeHeaders  []string `xml:"ExposeHeader"`
	MaxAgeSeconds  *int64   `xml:"MaxAgeSeconds"`
	Unknown        anyElems `xml:",any"`
}

func (c *corsConfiguration) unknown() []string {
	if u := c.Unknown.names(); len(u) > 0 {
		return u
	}
	for _, r := range c.Rules {
		if u := r.Unknown.names(); len(u) > 0 {
			return u
		}
	}
	return nil
}

// rules checks the configuration as S3 does and returns its rules.
func (c *corsConfiguration) rules() ([]*CORS, error) {
	if len(c.Rules) == 0 || len(c.Rules) > maxCORSRules {
		return nil, s3err.New(s3err.MalformedXML, "The XML you provided was not well-formed or did not validate against our published schema: a CORS configuration has 1 to %d rules", maxCORSRules)
	}
	out := make([]*CORS, 0, len(c.Rules))
	for _, r := range c.Rules {
		if len(r.AllowedOrigins) == 0 || len(r.AllowedMethods) == 0 {
			return nil, s3err.New(s3err.MalformedXML, "The XML you provided was not well-formed or did not validate against our published schema: each CORSRule needs an AllowedOrigin and an AllowedMethod")
		}
		for _, m := range r.AllowedMethods {
			switch m {
			case "GET", "PUT", "POST", "HEAD", "DELETE":
			default:
				return nil, s3err.New(s3err.InvalidRequest, "Found unsupported HTTP method in CORS config. Unsupported method is %s", m)
			}
		}
		for _, o := range r.AllowedOrigins {
			if strings.Count(o, "*") > 1 {
				return nil, s3err.New(s3err.InvalidRequest, "AllowedOrigin %q can not have more than one wildcard.", o)
			}
		}
		for _, hd := range r.AllowedHeaders {
			if strings.Count(hd, "*") > 1 {
				return nil, s3err.New(s3err.InvalidRequest, "AllowedHeader %q can not have more than one wildcard.", hd)
			}
		}
		rule := &CORS{
			AllowedOrigins: r.AllowedOrigins,
			AllowedMethods: r.AllowedMethods,
			// A rule allows and exposes only what it lists (non-nil).
			AllowedHeaders: append([]string{}, r.AllowedHeaders...),
			ExposeHeaders:  append([]string{}, r.ExposeHeaders...),
		}
		if r.MaxAgeSeconds != nil {
			if *r.MaxAgeSeconds < 0 {
				return nil, s3err.New(s3err.MalformedXML, "The XML you provided was not well-formed or did not validate against our published schema: MaxAgeSeconds is negative")
			}
			rule.MaxAge = time.Duration(*r.MaxAgeSeconds) * time.Second
		}
		out = append(out, rule)
	}
	return out, nil
}

// bucketRules returns the CORS rules of bucket, and false when it has no
// configuration (or the store keeps none).
func (h *Handler) bucketRules(ctx context.Context, bucket string) ([]*CORS, bool) {
	rules, _ := h.corsCache.lookup(ctx, h.store, bucket, corsConfigName, func(doc []byte, found bool) []*CORS {
		var cfg corsConfiguration
		if !found || xml.Unmarshal(doc, &cfg) != nil {
			return nil
		}
		rules, _ := cfg.rules()
		return rules
	})
	return rules, rules != nil
}

// forgetCORS drops the cached rules of bucket.
func (h *Handler) forgetCORS(bucket string) {
	h.corsCache.forget(bucket)
}

// corsConfigs returns the store's BucketConfigs, or a NotImplemented
// error, and the bucket of the ?cors request r.
func (h *Handler) corsConfigs(r *http.Request) (objstore.BucketConfigs, string, error) {
	bc, ok := h.store.(objstore.BucketConfigs)
	if !ok {
		return nil, "", notImplemented("?cors")
	}
	return bc, bucketOf(r), nil
}

// putBucketCors is PutBucketCors: PUT /bucket?cors.
func (h *Handler) putBucketCors(w http.ResponseWriter, r *http.Request) error {
	bc, bucket, err := h.corsConfigs(r)
	if err != nil {
		return err
	}
	var cfg corsConfiguration
	if err := readCheckedXML(r, &cfg); err != nil {
		if err == errEmptyBody {
			return s3err.New(s3err.MalformedXML, "The XML you provided was not well-formed or did not validate against our published schema")
		}
		return err
	}
	if _, err := cfg.rules(); err != nil {
		return err
	}
	cfg.Xmlns = s3NS
	cfg.Unknown = nil
	for i := range cfg.Rules {
		cfg.Rules[i].Unknown = nil
	}
	var doc bytes.Buffer
	if err := xml.NewEncoder(&doc).Encode(&cfg); err != nil {
		return err
	}
	if err := bc.PutBucketConfig(r.Context(), bucket, corsConfigName, doc.Bytes()); err != nil {
		return err
	}
	h.forgetCORS(bucket)
	w.WriteHeader(http.StatusOK)
	return nil
}

// getBucketCors is GetBucketCors: GET /bucket?cors.
func (h *Handler) getBucketCors(w http.ResponseWriter, r *http.Request) error {
	bc, bucket, err := h.corsConfigs(r)
	if err != nil {
		return err
	}
	doc, err := bc.GetBucketConfig(r.Context(), bucket, corsConfigName)
	if errors.Is(err, objstore.ErrNoSuchConfig) {
		return s3err.New(s3err.NoSuchCORSConfiguration, "The CORS configuration does not exist").With("BucketName", bucket)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(xml.Header))
	w.Write(doc)
	return nil
}

// deleteBucketCors is DeleteBucketCors: DELETE /bucket?cors.
func (h *Handler) deleteBucketCors(w http.ResponseWriter, r *http.Request) error {
	bc, bucket, err := h.corsConfigs(r)
	if err != nil {
		return err
	}
	err = bc.DeleteBucketConfig(r.Context(), bucket, corsConfigName)
	h.forgetCORS(bucket)
	return noContent(w, err)
}

// matchRule returns the first rule that allows origin and method, and,
// for a preflight, every header of reqHeaders.
func matchRule(rules []*CORS, origin, method string, reqHeaders []string) *CORS {
	for _, c := range rules {
		if _, ok := c.origin(origin); !ok {
			continue
		}
		methodOK := false
		for _, m := range c.methods() {
			if m == method {
				methodOK = true
			}
		}
		if !methodOK {
			continue
		}
		headersOK := true
		for _, name := range reqHeaders {
			if !c.headerAllowed(name) {
				headersOK = false
				break
			}
		}
		if headersOK {
			return c
		}
	}
	return nil
}
