package s3server

import (
	"encoding/xml"
	"strings"
	"testing"
)

const twoRules = `<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <CORSRule>
    <ID>uploads</ID>
    <AllowedOrigin>https://app.example.com</AllowedOrigin>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>POST</AllowedMethod>
    <AllowedHeader>content-type</AllowedHeader>
    <AllowedHeader>x-amz-*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>600</MaxAgeSeconds>
  </CORSRule>
  <CORSRule>
    <AllowedOrigin>https://*.example.org</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
  </CORSRule>
</CORSConfiguration>`

// TestBucketCORS: PutBucketCors stores a bucket's rules, GetBucketCors
// returns them, and preflights and requests to the bucket follow them as
// S3 does (the first rule whose origin, method and headers match), in
// place of the server's own CORS option, which rules again once
// DeleteBucketCors removed them. Invalid configurations are refused with
// S3's codes; deleting the bucket deletes its configuration.
func TestBucketCORS(t *testing.T) {
	ts := newTestServer(t, nil) // its own CORS option allows https://app.example.com, any method
	ts.mkBucket("bkt")
	if res := ts.do(req{method: "GET", target: "/bkt?cors"}); res.status != 404 || !strings.Contains(string(res.body), "NoSuchCORSConfiguration") {
		t.Fatalf("GetBucketCors before any: %d %s", res.status, res.body)
	}
	ts.must(200, req{method: "PUT", target: "/bkt?cors", body: []byte(twoRules)})
	res := ts.do(req{method: "GET", target: "/bkt?cors"})
	var got corsConfiguration
	if res.status != 200 || xml.Unmarshal(res.body, &got) != nil || len(got.Rules) != 2 || got.Rules[0].ID != "uploads" ||
		strings.Join(got.Rules[0].AllowedMethods, ",") != "PUT,POST" || *got.Rules[0].MaxAgeSeconds != 600 || got.Rules[1].AllowedOrigins[0] != "https://*.example.org" {
		t.Fatalf("GetBucketCors: %d %s", res.status, res.body)
	}

	preflight := func(origin, method, headers string) response {
		h := map[string]string{"Origin": origin, "Access-Control-Request-Method": method}
		if headers != "" {
			h["Access-Control-Request-Headers"] = headers
		}
		return ts.do(req{method: "OPTIONS", target: "/bkt/k", header: h, unsigned: true})
	}
	for _, tt := range []struct {
		origin, method, headers string
		status                  int
		methods, maxAge, expose string
	}{
		{"https://app.example.com", "PUT", "Content-Type, x-amz-meta-a", 200, "PUT, POST", "600", "ETag"},
		{"https://app.example.com", "GET", "", 403, "", "", ""},              // rule 1 has no GET; the server's option no longer applies
		{"https://app.example.com", "PUT", "authorization", 403, "", "", ""}, // a header rule 1 does not list
		{"https://cdn.example.org", "GET", "", 200, "GET", "", ""},
		{"https://cdn.example.org", "GET", "content-type", 403, "", "", ""}, // rule 2 allows no header
		{"https://evil.example.com", "PUT", "", 403, "", "", ""},
	} {
		res := preflight(tt.origin, tt.method, tt.headers)
		if res.status != tt.status {
			t.Errorf("preflight %s %s [%s]: %d %s", tt.origin, tt.method, tt.headers, res.status, res.body)
			continue
		}
		if tt.status != 200 {
			res.s3Error(t)
			continue
		}
		h := res.header
		if h.Get("Access-Control-Allow-Origin") != tt.origin || h.Get("Access-Control-Allow-Methods") != tt.methods ||
			h.Get("Access-Control-Max-Age") != tt.maxAge || h.Get("Access-Control-Expose-Headers") != tt.expose {
			t.Errorf("preflight %s %s: %v", tt.origin, tt.method, h)
		}
	}
	// A request gets the headers of the first rule that matches its
	// origin and method, and none when no rule does.
	ts.must(200, req{method: "PUT", target: "/bkt/k", body: []byte("x")})
	res = ts.do(req{method: "GET", target: "/bkt/k", header: map[string]string{"Origin": "https://cdn.example.org"}})
	if res.status != 200 || res.header.Get("Access-Control-Allow-Origin") != "https://cdn.example.org" || res.header.Get("Vary") != "Origin" {
		t.Errorf("GET from an allowed origin: %d %v", res.status, res.header)
	}
	res = ts.do(req{method: "GET", target: "/bkt/k", header: map[string]string{"Origin": "https://app.example.com"}})
	if res.status != 200 || res.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("GET from an origin whose rule has no GET: %d %v", res.status, res.header)
	}

	for _, bad := range []struct{ body, code string }{
		{`<CORSConfiguration></CORSConfiguration>`, "MalformedXML"},
		{`<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>`, "MalformedXML"},
		{`<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>`, "InvalidRequest"},
		{`<CORSConfiguration><CORSRule><AllowedOrigin>https://*.*.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`, "InvalidRequest"},
		{`<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><Bogus/></CORSRule></CORSConfiguration>`, "MalformedXML"},
		{`<CORSConfiguration><CORSRule>`, "MalformedXML"},
	} {
		res := ts.do(req{method: "PUT", target: "/bkt?cors", body: []byte(bad.body)})
		if res.status != 400 || !strings.Contains(string(res.body), "<Code>"+bad.code+"</Code>") {
			t.Errorf("PutBucketCors %s: %d %s, want %s", bad.body, res.status, res.body, bad.code)
		}
	}
	// The rules stayed as they were.
	if res := preflight("https://cdn.example.org", "GET", ""); res.status != 200 {
		t.Errorf("after refused configurations: %d", res.status)
	}

	ts.must(204, req{method: "DELETE", target: "/bkt?cors"})
	if res := ts.do(req{method: "GET", target: "/bkt?cors"}); res.status != 404 {
		t.Fatalf("GetBucketCors after DeleteBucketCors: %d", res.status)
	}
	if res := preflight("https://app.example.com", "GET", ""); res.status != 200 {
		t.Errorf("the server's own option after DeleteBucketCors: %d %s", res.status, res.body)
	}
	if res := preflight("https://cdn.example.org", "GET", ""); res.status != 403 {
		t.Errorf("a deleted rule still applies: %d", res.status)
	}

	// A configuration goes with its bucket.
	ts.must(200, req{method: "PUT", target: "/bkt?cors", body: []byte(twoRules)})
	ts.must(204, req{method: "DELETE", target: "/bkt/k"})
	ts.must(204, req{method: "DELETE", target: "/bkt"})
	ts.mkBucket("bkt")
	if res := ts.do(req{method: "GET", target: "/bkt?cors"}); res.status != 404 {
		t.Fatalf("a bucket made anew has its predecessor's CORS: %d %s", res.status, res.body)
	}
	if res := ts.do(req{method: "PUT", target: "/nobucket?cors", body: []byte(twoRules)}); res.status != 404 {
		t.Errorf("PutBucketCors on no bucket: %d", res.status)
	}
}
