package presign

import (
	"context"
	"fmt"
	"time"

	"github.com/presign-dev/presign/postpolicy"
	"github.com/presign-dev/presign/sigv4"
)

// PostInput describes a presigned POST form: a browser upload to one key,
// or to a prefix with "${filename}".
type PostInput struct {
	// Bucket is the bucket name. Required.
	Bucket string
	// Key is the object key, or a key with "${filename}", which S3
	// replaces with the uploaded file's name. Required.
	Key string
	// Expires is the form's lifetime, 1 second to 7 days; zero means one
	// hour, as in both SDKs. Temporary credentials cap it as they cap a
	// URL's (see the package documentation).
	Expires time.Duration
	// SigningTime is the signing time; zero means now.
	SigningTime time.Time
	// Fields are further form fields, such as Content-Type,
	// success_action_status or x-amz-meta-*.
	Fields []postpolicy.Field
	// Conditions are further policy conditions.
	Conditions []postpolicy.Condition
	// CapToCredentials shortens a form that would outlive temporary
	// credentials instead of failing.
	CapToCredentials bool
	// IgnoreCredentialLifetime signs a form that outlives its temporary
	// credentials, as the SDKs do.
	IgnoreCredentialLifetime bool
}

// PresignPost signs a POST policy for in and returns the form: the URL to
// post to, with the client's endpoint and addressing, and the fields to
// send before the file. Under ProfileJS and ProfileBotocore the URL,
// fields and policy are byte-identical to createPresignedPost and
// generate_presigned_post. It does not modify in.
func (c *Client) PresignPost(ctx context.Context, in *PostInput) (*postpolicy.Form, error) {
	if in == nil {
		return nil, inputErr("", "", "post input is nil")
	}
	ep, err := c.endpointFor(in.Bucket)
	if err != nil {
		return nil, err
	}
	if ep.mrap {
		return nil, inputErr("Bucket", "post to a bucket, or presign a PUT through the access point", "a Multi-Region Access Point takes no POST form uploads")
	}
	creds, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("presign: credentials: %w", err)
	}
	t := in.SigningTime
	if t.IsZero() {
		t = c.now()
	}
	d := in.Expires
	if d == 0 {
		d = postpolicy.DefaultExpires
	}
	if d > postpolicy.MaxExpires || d < time.Second {
		return nil, inputErr("Expires", "a form lives 1s to 7 days (168h)", "expiry %v is out of range", in.Expires)
	}
	if d, err = expiry(creds, t, &Options{Expires: d, CapToCredentials: in.CapToCredentials, IgnoreCredentialLifetime: in.IgnoreCredentialLifetime}); err != nil {
		return nil, err
	}
	// Both SDKs post to the bucket's base URL as their endpoint resolvers
	// write it: "/" when the bucket is in the host, no trailing slash after
	// a path.
	path := ep.path
	if path == "" {
		path = "/"
	}
	form, err := postpolicy.Sign(&postpolicy.SignInput{
		Profile:     c.cfg.Profile,
		URL:         ep.scheme + "://" + ep.host + sigv4.Escape(path, true),
		Bucket:      in.Bucket,
		Key:         in.Key,
		Expires:     d,
		Fields:      in.Fields,
		Conditions:  in.Conditions,
		Credentials: creds,
		Region:      ep.region,
		Time:        t,
	})
	if err != nil {
		return nil, err // a postpolicy error, which says so
	}
	return form, nil
}
