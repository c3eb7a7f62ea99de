package main

import (
	"bytes"
	"crypto/rand"
	"encoding"
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/presign-dev/presign/internal/suggest"
	"math"
	"net"
	"net/url"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/presign-dev/presign/internal/stack"
	"github.com/presign-dev/presign/issuer"
)

// serveConfigExample is what "presign serve --config" reads; printed by
// "presign serve --example-config".
const serveConfigExample = `# presign serve configuration (TOML). Flags and PRESIGN_* environment
# variables override what is set here.

addr = "127.0.0.1:8080"           # the API and the upload page
bucket = "uploads"
region = "us-east-1"
cors_origins = ["https://app.example.com"]   # browsers allowed to call the API
# upload_secret = "..."           # 32+ bytes shared by all replicas; or PRESIGN_UPLOAD_SECRET
multipart_threshold = "64MiB"     # uploads this large or larger go in parts
part_size = "16MiB"
audit_log = "stderr"              # or a file path: one JSON line per URL issued
backend_timeout = "10s"           # storage must answer the API's own requests within this (at most 25s), or 504
# /metrics names the clients: serve it on an address of its own, not the API's,
# and/or require a bearer token (or PRESIGN_METRICS_TOKEN).
# metrics_addr = "127.0.0.1:9090"
# metrics_token = "..."           # 16+ characters: presign serve --new-key makes one

# The embedded store (the default backend).
[store]
addr = "127.0.0.1:9000"
data = "./presign-data"
# public_url = "https://s3.example.com"   # how clients reach it, if not http://addr
multipart_expiry = "7d"           # multipart uploads this old are removed; "off" keeps them
# access_log = "access.log"       # the store's access lines as JSON, apart (stderr, stdout or a file)
# sigv4_only = true               # refuse Signature Version 2 (verified by default, for older SDKs)

# Or any S3-compatible service instead (AWS S3, MinIO, Ceph, R2); credentials
# come from the standard AWS chain (environment, profile, SSO, IMDS, ...).
# [backend]
# url = "s3://my-bucket"
# endpoint = "https://minio.example.com"   # empty for AWS
# region = "eu-west-1"
# path_style = true
# profile = "uploads"

[[clients]]
name = "web"
key_sha256 = "<64 hex digits: presign serve --hash-key KEY>"
prefix = "web"
operations = ["upload", "multipart", "download"]
content_types = ["image/*", "application/pdf"]
max_size = "100MiB"
upload_expiry = "15m"
download_expiry = "1h"
max_download_expiry = "24h"
rate_limit = 20                   # requests per second
burst = 40
`

// byteSize is a size in a config file: 1048576, "64MiB" or "5MB".
type byteSize int64

func (b *byteSize) UnmarshalText(text []byte) error {
	n, err := parseSize("size", string(text))
	if err != nil {
		return fmt.Errorf("%q is not a size such as 64MiB, 5MB or 1048576", text)
	}
	*b = byteSize(n)
	return nil
}

// duration is a duration in a config file: "15m", "24h", "7d" or seconds.
type duration time.Duration

func (d *duration) UnmarshalText(text []byte) error {
	v, err := parseDuration(string(text))
	if err != nil {
		return fmt.Errorf("%q is not a duration such as 15m, 1h or 7d", text)
	}
	*d = duration(v)
	return nil
}

// parseDuration reads a Go duration, a number of seconds, or days ("7d").
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		// Checked before the conversion, which would wrap.
		if err != nil || n > math.MaxInt64/int64(time.Second) || n < math.MinInt64/int64(time.Second) {
			return 0, fmt.Errorf("%s seconds is out of range", s)
		}
		return time.Duration(n) * time.Second, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.ParseInt(d, 10, 64); err == nil && n >= 0 && n < 10000 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	return time.ParseDuration(s)
}

// minMultipartExpiry is the shortest multipart_expiry presign serve
// accepts: a shorter limit would abort uploads still under way.
const minMultipartExpiry = time.Hour

// parseMultipartExpiry reads the multipart_expiry setting (named by name
// in errors): a duration such as "7d" or "36h", or "off" or "0" for
// uploads that never expire, which it returns as -1, as objstore/disk.Options
// takes it.
func parseMultipartExpiry(name, v string) (time.Duration, error) {
	if v = strings.TrimSpace(v); strings.EqualFold(v, "off") || v == "0" {
		return -1, nil
	}
	d, err := parseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not a duration such as 7d or 36h, or off (abandoned multipart uploads are kept)", name, v)
	}
	if d < minMultipartExpiry {
		return 0, fmt.Errorf("%s %q is shorter than %v: it would abort uploads still under way (give 7d, the default, or off)", name, v, minMultipartExpiry)
	}
	return d, nil
}

// serveFile is the configuration file.
type serveFile struct {
	Addr               string       `toml:"addr"`
	Bucket             string       `toml:"bucket"`
	Region             string       `toml:"region"`
	CORSOrigins        []string     `toml:"cors_origins"`
	UploadSecret       string       `toml:"upload_secret"`
	MultipartThreshold byteSize     `toml:"multipart_threshold"`
	PartSize           byteSize     `toml:"part_size"`
	MaxRequestBytes    byteSize     `toml:"max_request_bytes"`
	TrustProxy         bool         `toml:"trust_proxy"`
	AuditLog           string       `toml:"audit_log"`
	BackendTimeout     duration     `toml:"backend_timeout"`
	MetricsAddr        string       `toml:"metrics_addr"`
	MetricsToken       string       `toml:"metrics_token"`
	Store              storeFile    `toml:"store"`
	Backend            backendFile  `toml:"backend"`
	Clients            []clientFile `toml:"clients"`
}

type storeFile struct {
	Addr          string   `toml:"addr"`
	Data          string   `toml:"data"`
	PublicURL     string   `toml:"public_url"`
	BaseDomains   []string `toml:"base_domains"`
	MaxObjectSize byteSize `toml:"max_object_size"`
	// MultipartExpiry is a duration or "off"; see parseMultipartExpiry.
	MultipartExpiry string `toml:"multipart_expiry"`
	// AccessLog is where the store's JSON access lines go; empty keeps
	// them in the service's text log.
	AccessLog string `toml:"access_log"`
	// SigV4Only refuses Signature Version 2.
	SigV4Only bool `toml:"sigv4_only"`
}

type backendFile struct {
	URL       string `toml:"url"`
	Endpoint  string `toml:"endpoint"`
	Region    string `toml:"region"`
	PathStyle bool   `toml:"path_style"`
	Profile   string `toml:"profile"`
	// Gateway is the verifying gateway's address, GatewayURL how clients
	// reach it if not http://Gateway.
	Gateway    string `toml:"gateway"`
	GatewayURL string `toml:"gateway_url"`
}

type clientFile struct {
	Name              string   `toml:"name"`
	KeySHA256         string   `toml:"key_sha256"`
	Prefix            string   `toml:"prefix"`
	Operations        []string `toml:"operations"`
	ContentTypes      []string `toml:"content_types"`
	MaxSize           byteSize `toml:"max_size"`
	UploadExpiry      duration `toml:"upload_expiry"`
	DownloadExpiry    duration `toml:"download_expiry"`
	MaxUploadExpiry   duration `toml:"max_upload_expiry"`
	MaxDownloadExpiry duration `toml:"max_download_expiry"`
	RateLimit         float64  `toml:"rate_limit"`
	Burst             int      `toml:"burst"`
}

// readServeFile reads and decodes a config file strictly, reporting every
// mistake in one pass: a syntax error names its line; a value of the wrong
// type, or a size or duration that does not parse, is said in plain words
// with an example, and left out so that the rest is still checked; a key
// the file should not have gets the one it is closest to.
func readServeFile(path string) (*serveFile, []error) {
	var raw map[string]any
	if _, err := toml.DecodeFile(path, &raw); err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return nil, []error{fmt.Errorf("%s:%d: %s", path, perr.Position.Line, perr.Message)}
		}
		if errors.Is(err, os.ErrNotExist) {
			return nil, []error{fmt.Errorf("%s does not exist (give the path of a config file; presign serve --example-config prints one)", path)}
		}
		return nil, []error{fmt.Errorf("%s: %v", path, err)}
	}
	errs := checkTOMLTypes(path, raw, reflect.TypeOf(serveFile{}), "")
	// The values left are of the right types: decode them strictly.
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(raw); err != nil {
		return nil, append(errs, fmt.Errorf("%s: %v", path, err))
	}
	var f serveFile
	md, err := toml.Decode(buf.String(), &f)
	if err != nil {
		return nil, append(errs, fmt.Errorf("%s: %v", path, err))
	}
	for _, k := range md.Undecoded() {
		errs = append(errs, fmt.Errorf("%s: unknown setting %q (%s)", path, k.String(), suggestKey(k)))
	}
	return &f, errs
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// tomlExamples are the examples of the settings whose mistakes are worth
// an example of their own.
var tomlExamples = map[string]string{
	"cors_origins": `["https://app.example.com"]`, "base_domains": `["s3.example.com"]`,
	"operations": `["upload", "multipart", "download"]`, "content_types": `["image/*", "application/pdf"]`,
}

// checkTOMLTypes checks the values of table raw against the fields of
// struct t (prefix names the table), and deletes each one of the wrong
// type from raw, so that decoding the rest checks it too. Unknown keys are
// left for the decoder to report.
func checkTOMLTypes(path string, raw map[string]any, t reflect.Type, prefix string) []error {
	var errs []error
	for i := range t.NumField() {
		f := t.Field(i)
		name := f.Tag.Get("toml")
		v, ok := raw[name]
		if name == "" || !ok {
			continue
		}
		key := prefix + name
		bad := func(what, example string) {
			if ex, ok := tomlExamples[name]; ok {
				example = ex
			}
			errs = append(errs, fmt.Errorf("%s: %s must be %s, like %s = %s", path, key, what, name, example))
			delete(raw, name)
		}
		ft := f.Type
		switch {
		case reflect.PointerTo(ft).Implements(textUnmarshaler):
			text, isText := v.(string)
			if n, isInt := v.(int64); isInt {
				text, isText = strconv.FormatInt(n, 10), true
				raw[name] = text
			}
			example := `"64MiB"`
			if ft == reflect.TypeFor[duration]() {
				example = `"15m"`
			}
			if !isText {
				bad("a string", example)
				continue
			}
			if err := reflect.New(ft).Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(text)); err != nil {
				errs = append(errs, fmt.Errorf("%s: %s: %v", path, key, err))
				delete(raw, name)
			}
		case ft.Kind() == reflect.String:
			if _, ok := v.(string); !ok {
				bad("a string", `"..."`)
			}
		case ft.Kind() == reflect.Bool:
			if _, ok := v.(bool); !ok {
				bad("true or false", "true")
			}
		case ft.Kind() == reflect.Int:
			if _, ok := v.(int64); !ok {
				bad("a whole number", "40")
			}
		case ft.Kind() == reflect.Float64:
			switch v.(type) {
			case int64, float64:
			default:
				bad("a number", "20")
			}
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.String:
			list, ok := v.([]any)
			for _, e := range list {
				if _, isStr := e.(string); !isStr {
					ok = false
				}
			}
			if !ok {
				bad("a list of strings", `["..."]`)
			}
		case ft.Kind() == reflect.Struct:
			table, ok := v.(map[string]any)
			if !ok {
				bad("a table", "["+name+"]")
				continue
			}
			errs = append(errs, checkTOMLTypes(path, table, ft, key+".")...)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			tables, ok := v.([]map[string]any)
			if !ok {
				bad("an array of tables", "[["+name+"]]")
				continue
			}
			for j, table := range tables {
				errs = append(errs, checkTOMLTypes(path, table, ft.Elem(), fmt.Sprintf("%s[%d].", key, j+1))...)
			}
		}
	}
	return errs
}

// knownKeys are the settings a config file may have, for suggestions.
var knownKeys = []string{"addr", "bucket", "region", "cors_origins", "upload_secret", "multipart_threshold", "part_size",
	"max_request_bytes", "trust_proxy", "audit_log", "store", "backend", "clients", "data", "public_url", "base_domains",
	"max_object_size", "multipart_expiry", "url", "endpoint", "path_style", "profile", "name", "key_sha256", "prefix", "operations",
	"content_types", "max_size", "upload_expiry", "download_expiry", "max_upload_expiry", "max_download_expiry",
	"rate_limit", "burst", "backend_timeout", "metrics_addr", "metrics_token", "access_log", "sigv4_only", "gateway", "gateway_url"}

func suggestKey(k toml.Key) string {
	if near := suggest.Nearest(k[len(k)-1], knownKeys); near != "" {
		return "did you mean " + near + "?"
	}
	return "remove it; presign serve --example-config lists the settings"
}

// serveSettings is the merged configuration: defaults, then the file,
// then PRESIGN_* environment variables, then flags.
type serveSettings struct {
	addr, s3Addr, data, publicURL, bucket, region, uploadSecret, auditLog string
	accessLog                                                             string
	corsOrigins, baseDomains                                              []string
	backendURL, endpoint, profile, gateway, gatewayURL                    string
	pathStyle, trustProxy, localMode, sigv4Only                           bool
	multipartThreshold, partSize, maxRequestBytes, maxObjectSize          int64
	clients                                                               []issuer.Tenant
	configPath                                                            string
	// multipartExpiry is the embedded store's age limit for multipart
	// uploads, as objstore/disk.Options takes it: 0 the default, negative off.
	multipartExpiry time.Duration
	// metricsAddr is where /metrics is served instead of the API's
	// address; metricsToken the bearer token it needs; both may be empty.
	metricsAddr, metricsToken string
	// backendTimeout bounds the API's own requests to storage; zero means
	// issuer.DefaultBackendTimeout.
	backendTimeout time.Duration
}

// metricsWhere says where /metrics is served and how it is protected.
func (s *serveSettings) metricsWhere() string {
	where := "http://" + s.addr + "/metrics (the API's address)"
	if s.metricsAddr != "" {
		where = "http://" + s.metricsAddr + "/metrics only"
	}
	if s.metricsToken != "" {
		return where + ", bearer token required"
	}
	return where + ", no token"
}

// storeOnly reports whether only the embedded store runs: no bucket was
// given, so there is nothing to issue URLs for.
func (s *serveSettings) storeOnly() bool { return !s.external() && s.bucket == "" }

// external reports whether the backend is an S3 service, not the
// embedded store.
func (s *serveSettings) external() bool { return s.backendURL != "" }

// envSettings are the PRESIGN_* variables and the setting each overrides.
var envSettings = []string{"PRESIGN_CONFIG", "PRESIGN_ADDR", "PRESIGN_S3_ADDR", "PRESIGN_DATA", "PRESIGN_PUBLIC_URL",
	"PRESIGN_BUCKET", "PRESIGN_REGION", "PRESIGN_BACKEND", "PRESIGN_ENDPOINT", "PRESIGN_UPLOAD_SECRET",
	"PRESIGN_CORS_ORIGINS", "PRESIGN_AUDIT_LOG", "PRESIGN_ACCESS_LOG", "PRESIGN_MULTIPART_EXPIRY", "PRESIGN_METRICS_ADDR", "PRESIGN_METRICS_TOKEN",
	"PRESIGN_BACKEND_TIMEOUT"}

// mergeSettings builds the settings from f (nil without a file), the
// environment and the flags that were set, and returns every mistake.
func mergeSettings(file *serveFile, fl *serveFlags, set map[string]bool) (*serveSettings, []error) {
	s := &serveSettings{addr: "127.0.0.1:8080", s3Addr: "127.0.0.1:9000", data: "presign-data", bucket: "uploads",
		region: "us-east-1", auditLog: "stderr"}
	var errs []error
	multipartExpiry, expiryFrom := "", ""
	if file != nil {
		str := func(dst *string, v string) {
			if v != "" {
				*dst = v
			}
		}
		str(&s.addr, file.Addr)
		str(&s.bucket, file.Bucket)
		str(&s.region, file.Region)
		str(&s.uploadSecret, file.UploadSecret)
		str(&s.auditLog, file.AuditLog)
		str(&s.s3Addr, file.Store.Addr)
		str(&s.data, file.Store.Data)
		str(&s.publicURL, file.Store.PublicURL)
		str(&s.accessLog, file.Store.AccessLog)
		str(&s.backendURL, file.Backend.URL)
		str(&s.endpoint, file.Backend.Endpoint)
		str(&s.profile, file.Backend.Profile)
		str(&s.gateway, file.Backend.Gateway)
		str(&s.gatewayURL, file.Backend.GatewayURL)
		if file.Store.MultipartExpiry != "" {
			multipartExpiry, expiryFrom = file.Store.MultipartExpiry, "multipart_expiry"
		}
		if file.Backend.Region != "" {
			s.region = file.Backend.Region
		}
		s.pathStyle = file.Backend.PathStyle
		s.corsOrigins = file.CORSOrigins
		s.baseDomains = file.Store.BaseDomains
		s.trustProxy = file.TrustProxy
		s.sigv4Only = file.Store.SigV4Only
		str(&s.metricsAddr, file.MetricsAddr)
		str(&s.metricsToken, file.MetricsToken)
		s.backendTimeout = time.Duration(file.BackendTimeout)
		s.multipartThreshold, s.partSize = int64(file.MultipartThreshold), int64(file.PartSize)
		s.maxRequestBytes, s.maxObjectSize = int64(file.MaxRequestBytes), int64(file.Store.MaxObjectSize)
		for _, c := range file.Clients {
			s.clients = append(s.clients, issuer.Tenant{
				Name: c.Name, KeySHA256: strings.ToLower(c.KeySHA256), Prefix: c.Prefix, Operations: c.Operations,
				ContentTypes: c.ContentTypes, MaxSize: int64(c.MaxSize),
				UploadExpiry: time.Duration(c.UploadExpiry), DownloadExpiry: time.Duration(c.DownloadExpiry),
				MaxUploadExpiry: time.Duration(c.MaxUploadExpiry), MaxDownloadExpiry: time.Duration(c.MaxDownloadExpiry),
				RateLimit: c.RateLimit, Burst: c.Burst,
			})
		}
	}
	env := func(dst *string, name string) {
		if v, ok := os.LookupEnv(name); ok && v != "" {
			*dst = v
		}
	}
	env(&s.addr, "PRESIGN_ADDR")
	env(&s.s3Addr, "PRESIGN_S3_ADDR")
	env(&s.data, "PRESIGN_DATA")
	env(&s.publicURL, "PRESIGN_PUBLIC_URL")
	env(&s.bucket, "PRESIGN_BUCKET")
	env(&s.region, "PRESIGN_REGION")
	env(&s.backendURL, "PRESIGN_BACKEND")
	env(&s.endpoint, "PRESIGN_ENDPOINT")
	env(&s.uploadSecret, "PRESIGN_UPLOAD_SECRET")
	env(&s.auditLog, "PRESIGN_AUDIT_LOG")
	env(&s.accessLog, "PRESIGN_ACCESS_LOG")
	if v := os.Getenv("PRESIGN_CORS_ORIGINS"); v != "" {
		s.corsOrigins = strings.Split(v, ",")
	}
	if v := os.Getenv("PRESIGN_MULTIPART_EXPIRY"); v != "" {
		multipartExpiry, expiryFrom = v, "PRESIGN_MULTIPART_EXPIRY"
	}
	env(&s.metricsAddr, "PRESIGN_METRICS_ADDR")
	env(&s.metricsToken, "PRESIGN_METRICS_TOKEN")
	backendTimeout, timeoutFrom := "", ""
	if v := os.Getenv("PRESIGN_BACKEND_TIMEOUT"); v != "" {
		backendTimeout, timeoutFrom = v, "PRESIGN_BACKEND_TIMEOUT"
	}
	flagStr := func(dst *string, name, v string) {
		if set[name] {
			*dst = v
		}
	}
	flagStr(&s.addr, "addr", fl.addr)
	flagStr(&s.gateway, "gateway", fl.gateway)
	flagStr(&s.gatewayURL, "gateway-url", fl.gatewayURL)
	flagStr(&s.s3Addr, "s3-addr", fl.s3Addr)
	flagStr(&s.data, "data", fl.data)
	flagStr(&s.publicURL, "public-url", fl.publicURL)
	flagStr(&s.bucket, "bucket", fl.bucket)
	flagStr(&s.region, "region", fl.region)
	flagStr(&s.backendURL, "backend", fl.backend)
	flagStr(&s.endpoint, "endpoint", fl.endpoint)
	flagStr(&s.profile, "profile", fl.profile)
	flagStr(&s.auditLog, "audit-log", fl.auditLog)
	flagStr(&s.accessLog, "access-log", fl.accessLog)
	flagStr(&s.metricsAddr, "metrics-addr", fl.metricsAddr)
	if set["backend-timeout"] {
		backendTimeout, timeoutFrom = fl.backendTimeout, "--backend-timeout"
	}
	if timeoutFrom != "" {
		d, err := parseDuration(backendTimeout)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %q is not a duration such as 10s", timeoutFrom, backendTimeout))
		}
		s.backendTimeout = d
	} else if file != nil && file.BackendTimeout != 0 {
		timeoutFrom = "backend_timeout"
	}
	if timeoutFrom != "" && (s.backendTimeout < time.Second || s.backendTimeout > maxBackendTimeout) {
		errs = append(errs, fmt.Errorf("%s %v is out of range: give 1s to %v, under the API's %v write timeout, so that a hung storage service gets a 504",
			timeoutFrom, s.backendTimeout, maxBackendTimeout, stack.APIWriteTimeout))
	}
	if s.metricsToken != "" && len(s.metricsToken) < 16 {
		errs = append(errs, fmt.Errorf("the metrics token is %d characters: use at least 16 random ones (presign serve --new-key makes one)", len(s.metricsToken)))
	}
	if set["path-style"] {
		s.pathStyle = fl.pathStyle
	}
	if set["sigv4-only"] {
		s.sigv4Only = fl.sigv4Only
	}
	if set["cors-origin"] {
		s.corsOrigins = fl.corsOrigins.names()
	}
	if set["base-domain"] {
		s.baseDomains = fl.baseDomains.names()
	}
	if set["max-object-size"] {
		n, err := parseSize("max-object-size", fl.maxSize)
		if err != nil {
			errs = append(errs, err)
		}
		s.maxObjectSize = n
	}
	if set["multipart-expiry"] {
		multipartExpiry, expiryFrom = fl.multipartExpiry, "--multipart-expiry"
	}
	if expiryFrom != "" {
		d, err := parseMultipartExpiry(expiryFrom, multipartExpiry)
		if err != nil {
			errs = append(errs, err)
		}
		s.multipartExpiry = d
	}

	// The backend.
	if s.external() {
		u, err := url.Parse(s.backendURL)
		if err != nil || u.Scheme != "s3" || u.Host == "" || (u.Path != "" && u.Path != "/") {
			errs = append(errs, fmt.Errorf("backend %q is not s3://BUCKET (give the bucket as s3://my-bucket; the endpoint goes in --endpoint)", s.backendURL))
		} else {
			s.bucket = u.Host
		}
		if s.endpoint != "" {
			if u, err := url.Parse(s.endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				errs = append(errs, fmt.Errorf("endpoint %q is not an http(s) URL such as https://minio.example.com", s.endpoint))
			}
		}
	} else if s.endpoint != "" || s.profile != "" {
		errs = append(errs, errors.New("an endpoint or profile is set but no backend: add --backend s3://BUCKET to use an S3 service, or remove them to use the embedded store"))
	}
	if !validRegionName(s.region) {
		errs = append(errs, fmt.Errorf("region %q is not a region name such as us-east-1", s.region))
	}
	for name, a := range map[string]string{"addr": s.addr, "s3-addr": s.s3Addr, "metrics-addr": s.metricsAddr} {
		if name == "s3-addr" && s.external() || name == "metrics-addr" && a == "" {
			continue
		}
		if _, port, err := net.SplitHostPort(a); err != nil || port == "" {
			errs = append(errs, fmt.Errorf("%s %q is not host:port, such as 127.0.0.1:8080", name, a))
		}
	}
	if _, port, _ := net.SplitHostPort(s.addr); !s.external() && s.addr == s.s3Addr && port != "0" {
		errs = append(errs, fmt.Errorf("the API and the store both want %s: give them different addresses (--addr, --s3-addr)", s.addr))
	}
	if _, port, _ := net.SplitHostPort(s.metricsAddr); port != "0" && (s.metricsAddr == s.addr || !s.external() && s.metricsAddr == s.s3Addr) {
		errs = append(errs, fmt.Errorf("the metrics want %s, which the API or the store has: give them an address of their own (--metrics-addr)", s.metricsAddr))
	}
	if s.publicURL != "" {
		if u, err := url.Parse(s.publicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" && u.Path != "/" {
			errs = append(errs, fmt.Errorf("public URL %q is not an origin such as https://s3.example.com", s.publicURL))
		}
	}
	for _, o := range s.corsOrigins {
		if o != "*" && !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://") {
			errs = append(errs, fmt.Errorf("CORS origin %q is not * or an origin such as https://app.example.com", o))
		}
	}
	if len(s.clients) == 0 {
		s.localMode = true
	}
	sort.Strings(s.baseDomains)
	return s, errs
}

// newAPIKey returns a random API key: "psk_" and 32 random bytes in base64url.
func newAPIKey() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", failf("generating an API key: %w", err)
	}
	return "psk_" + base64.RawURLEncoding.EncodeToString(b[:]), nil
}
