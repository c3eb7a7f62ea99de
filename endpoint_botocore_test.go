package presign

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign/credentials"
)

// TestBotocoreEndpointPartitions: botocore 1.29.27's global endpoint
// (s3.amazonaws.com) is for the aws partition only, and takes upper-case
// buckets that are valid host labels in path style from any aws region.
// Expected hosts and paths are what generate_presigned_url of
// /usr/bin/python3's botocore 1.29.27 returned for GetObject of key "k"
// (conformance/botocore/post.py proves the same rules for POST forms).
func TestBotocoreEndpointPartitions(t *testing.T) {
	for _, tc := range []struct {
		bucket, region string
		addr           Addressing
		dualstack      bool
		want           string
	}{
		{"LegacyBucket", "us-west-2", AddressingAuto, false, "https://s3.amazonaws.com/LegacyBucket/k?"},
		{"LegacyBucket", "eu-central-1", AddressingVirtual, false, "https://s3.amazonaws.com/LegacyBucket/k?"},
		{"LegacyBucket", "us-west-2", AddressingPath, false, "https://s3.us-west-2.amazonaws.com/LegacyBucket/k?"},
		{"LegacyBucket", "us-west-2", AddressingAuto, true, "https://s3.dualstack.us-west-2.amazonaws.com/LegacyBucket/k?"},
		{"LegacyBucket", "cn-north-1", AddressingAuto, false, "https://s3.cn-north-1.amazonaws.com.cn/LegacyBucket/k?"},
		{"LegacyBucket", "us-gov-west-1", AddressingAuto, false, "https://s3.us-gov-west-1.amazonaws.com/LegacyBucket/k?"},
		{"LEGACY-", "us-west-2", AddressingAuto, false, "https://s3.us-west-2.amazonaws.com/LEGACY-/k?"},
		{"Legacy--Bucket", "us-west-2", AddressingAuto, false, "https://s3.amazonaws.com/Legacy--Bucket/k?"},
		{"legacy_bucket", "us-west-2", AddressingAuto, false, "https://s3.us-west-2.amazonaws.com/legacy_bucket/k?"},
		{"my.dotted.bucket", "us-west-2", AddressingAuto, false, "https://s3.us-west-2.amazonaws.com/my.dotted.bucket/k?"},
		{"examplebucket", "cn-north-1", AddressingAuto, false, "https://examplebucket.s3.cn-north-1.amazonaws.com.cn/k?"},
		{"examplebucket", "us-gov-west-1", AddressingAuto, false, "https://examplebucket.s3.us-gov-west-1.amazonaws.com/k?"},
		{"examplebucket", "eu-central-1", AddressingAuto, false, "https://examplebucket.s3.amazonaws.com/k?"},
	} {
		c, err := New(Config{
			Credentials: credentials.Static{AccessKeyID: "a", SecretAccessKey: "b"},
			Region:      tc.region, Addressing: tc.addr, UseDualStack: tc.dualstack, Profile: ProfileBotocore,
		})
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Presign(context.Background(), GetObject, &Input{Bucket: tc.bucket, Key: "k"},
			Options{SigningTime: time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC), Expires: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(res.URL, tc.want) {
			t.Errorf("%s in %s (addressing %d, dualstack %v): %s, want %s...", tc.bucket, tc.region, tc.addr, tc.dualstack, res.URL, tc.want)
		}
	}
}
