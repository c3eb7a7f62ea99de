package presign

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/presign-dev/presign/credentials"
	"github.com/presign-dev/presign/sigv4"
)

// TestErrorTypes pins what callers decide on: the type and fields of an
// error, and its text, which the command line and others have printed.
func TestErrorTypes(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, Config{})

	_, err := New(Config{Credentials: static})
	var ie *InputError
	if !errors.As(err, &ie) || ie.Field != "Region" || ie.Msg != "Config.Region is empty" ||
		ie.Hint != "give the bucket's region, such as us-east-1" ||
		err.Error() != "presign: Config.Region is empty; give the bucket's region, such as us-east-1" {
		t.Errorf("New without a region: %#v", err)
	}

	_, err = c.Presign(ctx, GetObject, &Input{Bucket: "b", Key: "k"}, Options{Expires: 8 * 24 * time.Hour})
	var se *sigv4.InputError
	if !errors.As(err, &ie) || ie.Field != "Expires" || !errors.As(err, &se) ||
		err.Error() != "presign: expiry 192h0m0s is out of range: a presigned URL lives from 1 second to 7 days (604800 seconds)" {
		t.Errorf("expiry of 8 days: %#v", err)
	}

	temp := newClient(t, Config{Credentials: credentials.Static{AccessKeyID: "ASIA", SecretAccessKey: "s", SessionToken: "tok"}})
	_, err = temp.Presign(ctx, GetObject, &Input{Bucket: "b", Key: "k"}, Options{Expires: 24 * time.Hour, SigningTime: t0})
	var le *LifetimeError
	if !errors.As(err, &le) || le.Expires != 24*time.Hour || le.Max != MaxTemporaryExpires ||
		err.Error() != "presign: expiry 24h0m0s is longer than the credentials allow: temporary credentials (with a session token) give URLs of at most 12 hours; ask for at most 12h0m0s, or set CapToCredentials to shorten it" {
		t.Errorf("expiry beyond temporary credentials: %#v", err)
	}

	_, err = c.Presign(ctx, PutObject, &Input{Bucket: "b", Key: "k", VersionID: "v"}, Options{})
	if !errors.As(err, &ie) || ie.Field != "VersionId" || ie.Hint != "remove it or choose another operation" {
		t.Errorf("PutObject with a VersionID: %#v", err)
	}
}
