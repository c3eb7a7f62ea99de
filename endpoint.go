package presign

import (
	"net"
	"net/url"
	"strings"

	"github.com/presign-dev/presign/objstore"
)

// Addressing selects how the bucket is named in a URL.
type Addressing int

const (
	// AddressingAuto lets the profile decide: virtual-hosted on AWS, and
	// path-style where the bucket name cannot be a TLS host name label
	// (dots, upper case, underscores) or the endpoint is an IP address.
	AddressingAuto Addressing = iota
	// AddressingPath always names the bucket in the path:
	// https://s3.us-west-2.amazonaws.com/bucket/key.
	AddressingPath
	// AddressingVirtual names the bucket in the host name where it can be:
	// https://bucket.s3.us-west-2.amazonaws.com/key.
	AddressingVirtual
)

// endpoint is a resolved base URL: the bucket's host and path prefix.
type endpoint struct {
	scheme, host, path string // path is the decoded prefix before the key, no trailing '/'
	region             string
	urlHost, rawPath   string // for PresignHTTP: see sigv4.Request
	// mrap is set for a Multi-Region Access Point, which SigV4a signs.
	mrap bool
}

// custom is a parsed custom endpoint.
type custom struct {
	scheme, host, base string
	ip                 bool
}

func parseEndpoint(raw string) (*custom, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, inputErr("Endpoint", "give one such as http://127.0.0.1:9000 or https://s3.example.com", "endpoint %q is not an http(s) URL", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, inputErr("Endpoint", "", "endpoint %q must not have a query, fragment or user info", raw)
	}
	host := u.Host
	// Default ports are dropped, as the SDKs do.
	if h, port, err := net.SplitHostPort(host); err == nil &&
		((u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80")) {
		host = h
		if strings.Contains(h, ":") {
			host = "[" + h + "]"
		}
	}
	c := &custom{scheme: u.Scheme, host: host, base: strings.TrimRight(u.Path, "/")}
	c.ip = net.ParseIP(u.Hostname()) != nil
	return c, nil
}

// dnsSuffix returns the partition's DNS suffix of an AWS region.
func dnsSuffix(region string) string {
	if strings.HasPrefix(region, "cn-") {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}

// virtualHostable reports whether bucket can be a single DNS label of a
// TLS host name: 3 to 63 lower-case letters, digits and hyphens, starting
// and ending with a letter or digit, and not an IP address.
func virtualHostable(bucket string) bool {
	// Without dots, a name S3 takes is one such label, and no IP address.
	return !strings.Contains(bucket, ".") && objstore.CheckBucketName(bucket) == nil
}

// dnsCompatible is botocore's check: like virtualHostable, but dots are
// allowed between labels.
func dnsCompatible(bucket string) bool {
	if len(bucket) < 3 || len(bucket) > 63 || net.ParseIP(bucket) != nil {
		return false
	}
	for _, label := range strings.Split(bucket, ".") {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// awsPartition reports whether region is in the aws partition, not in
// aws-cn or aws-us-gov.
func awsPartition(region string) bool {
	return !strings.HasPrefix(region, "cn-") && !strings.HasPrefix(region, "us-gov-")
}

// hostLabel reports whether s is a valid DNS host label of any case: 1 to
// 63 letters, digits and hyphens, starting and ending with a letter or digit.
func hostLabel(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

var (
	errAcceleratePath  = inputErr("UseAccelerate", "drop one of the two options", "path-style addressing cannot be used with S3 Transfer Acceleration")
	errAccelerateName  = inputErr("Bucket", "", "S3 Transfer Acceleration needs a bucket name that is a valid DNS label (no dots, no upper case)")
	errAccelerateChina = inputErr("UseAccelerate", "", "S3 Transfer Acceleration is not available in the China regions")
	errAccelerateEP    = inputErr("UseAccelerate", "", "S3 Transfer Acceleration cannot be used with a custom endpoint")
)

// resolve returns where bucket lives under c's configuration and profile.
func (c *Client) resolve(bucket string) (endpoint, error) {
	cfg := &c.cfg
	ep := endpoint{scheme: "https", region: cfg.Region}
	if bucket == "" {
		return ep, inputErr("Bucket", "", "bucket name is empty")
	}
	if strings.HasPrefix(bucket, "arn:") {
		return c.resolveARN(bucket)
	}
	if strings.ContainsAny(bucket, "/?#") {
		return ep, inputErr("Bucket", "give the bucket and the key apart", "bucket name %q contains '/', '?' or '#'", bucket)
	}
	botocore := cfg.Profile == ProfileBotocore
	path := cfg.Addressing == AddressingPath

	if cfg.UseAccelerate {
		switch {
		case c.custom != nil:
			return ep, errAccelerateEP
		case path:
			return ep, errAcceleratePath
		case botocore && !dnsCompatible(bucket) || strings.Contains(bucket, "."):
			return ep, errAccelerateName
		case !botocore && !virtualHostable(bucket):
			return ep, errAccelerateName
		case strings.HasPrefix(cfg.Region, "cn-"):
			return ep, errAccelerateChina
		}
		ep.host = bucket + ".s3-accelerate"
		if cfg.UseDualStack {
			ep.host += ".dualstack"
		}
		ep.host += "." + dnsSuffix(cfg.Region)
		return ep, nil
	}

	if cu := c.custom; cu != nil {
		ep.scheme = cu.scheme
		virtual := cfg.Addressing == AddressingVirtual ||
			(cfg.Addressing == AddressingAuto && cfg.Profile == ProfileJS)
		if virtual && !cu.ip && virtualHostable(bucket) {
			ep.host = bucket + "." + cu.host
			ep.path = cu.base
		} else {
			ep.host = cu.host
			ep.path = cu.base + "/" + bucket
		}
		return ep, nil
	}

	if botocore {
		// botocore 1.29 presigns with its "global endpoint" in the aws
		// partition (not in aws-cn or aws-us-gov): s3.amazonaws.com, with the
		// bucket in the host where it is DNS-compatible, or in the path where
		// it is at least a valid host label (upper case: "LegacyBucket").
		global := !cfg.UseDualStack && awsPartition(cfg.Region)
		if path || !dnsCompatible(bucket) || strings.Contains(bucket, ".") {
			switch {
			case cfg.UseDualStack:
				ep.host = "s3.dualstack." + cfg.Region + "." + dnsSuffix(cfg.Region)
			case cfg.Region == "us-east-1", global && !path && hostLabel(bucket):
				ep.host = "s3.amazonaws.com"
			default:
				ep.host = "s3." + cfg.Region + "." + dnsSuffix(cfg.Region)
			}
			ep.path = "/" + bucket
			return ep, nil
		}
		switch {
		case cfg.UseDualStack:
			ep.host = bucket + ".s3.dualstack." + cfg.Region + "." + dnsSuffix(cfg.Region)
		case global:
			ep.host = bucket + ".s3.amazonaws.com"
		default:
			ep.host = bucket + ".s3." + cfg.Region + "." + dnsSuffix(cfg.Region)
		}
		return ep, nil
	}

	base := c.awsBase
	if path || !virtualHostable(bucket) {
		ep.host = base
		ep.path = "/" + bucket
		return ep, nil
	}
	ep.host = bucket + "." + base
	return ep, nil
}

// BucketURL returns the base URL of bucket under the client's endpoint and
// addressing, with a trailing slash: "https://bucket.s3.eu-west-1.amazonaws.com/"
// or "http://127.0.0.1:9000/bucket/". Presigned POST forms are sent there.
func (c *Client) BucketURL(bucket string) (string, error) {
	ep, err := c.endpointFor(bucket)
	if err != nil {
		return "", err
	}
	return ep.scheme + "://" + ep.host + ep.path + "/", nil
}

// resolveARN resolves an access point ARN given as the bucket. Multi-Region
// Access Points, arn:aws:s3::ACCOUNT:accesspoint/ALIAS.mrap, are reached at
// ALIAS.mrap.accesspoint.s3-global.amazonaws.com and signed with SigV4a;
// other ARNs are refused with what to use instead.
func (c *Client) resolveARN(arn string) (endpoint, error) {
	ep := endpoint{scheme: "https", region: c.cfg.Region}
	const shape = "give a Multi-Region Access Point ARN such as arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap"
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[2] != "s3" {
		return ep, inputErr("Bucket", shape, "bucket %q is not an S3 ARN", arn)
	}
	partition, region, account, resource := parts[1], parts[3], parts[4], parts[5]
	alias, ok := strings.CutPrefix(resource, "accesspoint/")
	switch {
	case !ok:
		return ep, inputErr("Bucket", shape, "ARN %q does not name an access point (its resource is %q)", arn, resource)
	case region != "" || !strings.HasSuffix(alias, ".mrap"):
		return ep, inputErr("Bucket", "give the bucket's name, or a Multi-Region Access Point ARN (no region, an alias ending .mrap)",
			"ARN %q names a single-region access point, which presign does not address; only Multi-Region Access Points are supported", arn)
	case partition != "aws":
		return ep, inputErr("Bucket", "", "ARN %q is in partition %q: Multi-Region Access Points exist only in the aws partition", arn, partition)
	case len(account) != 12 || strings.Trim(account, "0123456789") != "":
		return ep, inputErr("Bucket", shape, "ARN %q has account %q, not 12 digits", arn, account)
	case !hostLabel(strings.TrimSuffix(alias, ".mrap")):
		return ep, inputErr("Bucket", shape, "ARN %q has alias %q, which is not a host name label", arn, alias)
	case c.custom != nil:
		return ep, inputErr("Bucket", "leave the endpoint out, or name a bucket and set Options.RegionSet to sign it with SigV4a",
			"a Multi-Region Access Point is reached at its own global endpoint, not at %s", c.custom.host)
	case c.cfg.UseAccelerate || c.cfg.UseDualStack:
		return ep, inputErr("Bucket", "", "a Multi-Region Access Point takes neither Transfer Acceleration nor dual-stack")
	case c.cfg.Addressing == AddressingPath:
		return ep, inputErr("Bucket", "", "a Multi-Region Access Point is reached by its host name: path-style addressing does not apply")
	}
	ep.host = alias + ".accesspoint.s3-global.amazonaws.com"
	ep.mrap = true
	return ep, nil
}
