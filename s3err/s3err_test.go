package s3err

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
)

func TestStatus(t *testing.T) {
	tests := []struct {
		code ErrorCode
		want int
	}{
		{NoSuchKey, http.StatusNotFound},
		{SignatureDoesNotMatch, http.StatusForbidden},
		{AccessDenied, http.StatusForbidden},
		{AuthorizationQueryParametersError, http.StatusBadRequest},
		{InvalidRange, http.StatusRequestedRangeNotSatisfiable},
		{PreconditionFailed, http.StatusPreconditionFailed},
		{MissingContentLength, http.StatusLengthRequired},
		{"SomethingNew", http.StatusInternalServerError},
	}
	for _, tt := range tests {
		if got := tt.code.Status(); got != tt.want {
			t.Errorf("%s.Status() = %d, want %d", tt.code, got, tt.want)
		}
	}
	if got := New(NoSuchBucket, "x").Status(); got != 404 {
		t.Errorf("Error.Status() = %d", got)
	}
}

// TestWriteXML checks the body S3 clients parse: the declaration, <Error>
// with Code and Message first, details in order, then Resource and
// RequestId, all escaped.
func TestWriteXML(t *testing.T) {
	e := New(AccessDenied, "Request has expired").With("Expires", "2026-01-15T12:15:00Z").With("ServerTime", "<now> & then")
	var b bytes.Buffer
	if err := e.WriteXML(&b, "/bucket/a&b", "4442587FB7D0A2F9"); err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<Error><Code>AccessDenied</Code><Message>Request has expired</Message><Expires>2026-01-15T12:15:00Z</Expires>` +
		`<ServerTime>&lt;now&gt; &amp; then</ServerTime><Resource>/bucket/a&amp;b</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>`
	if got := strings.TrimSpace(b.String()); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	var back struct {
		Code, Message, Expires string
	}
	if err := xml.Unmarshal(b.Bytes(), &back); err != nil || back.Code != "AccessDenied" || back.Expires != "2026-01-15T12:15:00Z" {
		t.Errorf("round trip: %+v %v", back, err)
	}
	if len(e.Details) != 2 {
		t.Errorf("WriteXML modified the error: %v", e.Details)
	}
	if v, ok := e.Detail("Expires"); !ok || v != "2026-01-15T12:15:00Z" {
		t.Errorf("Detail: %q %v", v, ok)
	}
	if _, ok := e.Detail("Nope"); ok {
		t.Error("Detail found a missing element")
	}
	if e.Error() != "AccessDenied: Request has expired" {
		t.Errorf("Error() = %q", e.Error())
	}
}
