// Presigned URLs and POST forms made by the AWS SDK for JavaScript v3
// (getSignedUrl of @aws-sdk/s3-request-presigner, createPresignedPost of
// @aws-sdk/s3-presigned-post) for the embedded S3 server. Run by
// TestPresigned in s3server/e2e, which uses them with curl.
//
//   node presign.mjs SPEC_JSON
//
// SPEC_JSON: {"endpoint","region","bucket","accessKeyId","secretAccessKey",
// "wrongAccessKeyId","wrongSecretAccessKey","getKey","putKey","postKey",
// "contentType"}. It prints one JSON object: url/form per case name (see
// the end of this file).

import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

for (const k of Object.keys(process.env)) {
  if (k.startsWith("AWS_")) delete process.env[k];
}
process.env.AWS_CONFIG_FILE = "/dev/null";
process.env.AWS_SHARED_CREDENTIALS_FILE = "/dev/null";
process.env.AWS_EC2_METADATA_DISABLED = "true";

const { S3Client, GetObjectCommand, PutObjectCommand } = await import("@aws-sdk/client-s3");
const { getSignedUrl } = await import("@aws-sdk/s3-request-presigner");
const { createPresignedPost } = await import("@aws-sdk/s3-presigned-post");
// createPresignedPost resolves the endpoint with the PutObjectCommand of
// its own copy of @aws-sdk/client-s3 (a nested, older one): its client is
// built from that copy.
const postDir = dirname(fileURLToPath(import.meta.resolve("@aws-sdk/s3-presigned-post/package.json")));
const { S3Client: PostS3Client } = createRequire(postDir + "/package.json")("@aws-sdk/client-s3");

const spec = JSON.parse(process.argv[2]);
const Bucket = spec.bucket;

function clientOf(Client, accessKeyId, secretAccessKey, extra = {}) {
  return new Client({
    region: spec.region,
    endpoint: spec.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    ...extra,
  });
}

// The default client, as an application builds it.
const main = clientOf(S3Client, spec.accessKeyId, spec.secretAccessKey);
// For PUT URLs, AWS's advice since the flexible-checksum defaults
// (3.729.0): requestChecksumCalculation WHEN_REQUIRED. With the default
// WHEN_SUPPORTED the presigner signs the CRC32 of an empty body into the
// URL (x-amz-checksum-crc32=AAAAAA==), which no upload of a non-empty body
// matches; see putDefaultClient below.
const whenRequired = clientOf(S3Client, spec.accessKeyId, spec.secretAccessKey, { requestChecksumCalculation: "WHEN_REQUIRED" });
const unknownKey = clientOf(S3Client, spec.wrongAccessKeyId, spec.secretAccessKey, { requestChecksumCalculation: "WHEN_REQUIRED" });
const wrongSecret = clientOf(S3Client, spec.accessKeyId, spec.wrongSecretAccessKey, { requestChecksumCalculation: "WHEN_REQUIRED" });

const get = (c, opts = {}) => getSignedUrl(c, new GetObjectCommand({ Bucket, Key: spec.getKey }), { expiresIn: 600, ...opts });
// The Content-Type is signed (signableHeaders), so that an uploader cannot
// send another: the case the tests tamper with.
const put = (c, opts = {}) => getSignedUrl(c, new PutObjectCommand({ Bucket, Key: spec.putKey, ContentType: spec.contentType, Metadata: { maker: "js" } }),
  { expiresIn: 600, signableHeaders: new Set(["content-type"]), ...opts });

async function post(accessKeyId, secretAccessKey, now) {
  const c = clientOf(PostS3Client, accessKeyId, secretAccessKey);
  const realNow = Date.now;
  if (now !== undefined) Date.now = () => now; // createPresignedPost reads the clock once
  try {
    return await createPresignedPost(c, {
      Bucket,
      Key: spec.postKey,
      Conditions: [["content-length-range", 1, 1 << 20], ["starts-with", "$Content-Type", "text/"]],
      Fields: { "Content-Type": spec.contentType, success_action_status: "201", "x-amz-meta-maker": "js-post" },
      Expires: 600,
    });
  } finally {
    Date.now = realNow;
  }
}

const hourAgo = new Date(Date.now() - 3600_000);
const out = {
  get: await get(main),
  put: await put(whenRequired),
  post: await post(spec.accessKeyId, spec.secretAccessKey),

  getUnknownKey: await get(unknownKey),
  putUnknownKey: await put(unknownKey),
  postUnknownKey: await post(spec.wrongAccessKeyId, spec.secretAccessKey),
  getWrongSecret: await get(wrongSecret),
  putWrongSecret: await put(wrongSecret),
  postWrongSecret: await post(spec.accessKeyId, spec.wrongSecretAccessKey),

  // Signed an hour ago, for ten minutes.
  getExpired: await get(main, { signingDate: hourAgo }),
  putExpired: await put(whenRequired, { signingDate: hourAgo }),
  postExpired: await post(spec.accessKeyId, spec.secretAccessKey, hourAgo.getTime()),

  // The default client's PUT URL, with the empty body's CRC32 in it.
  putDefaultClient: await put(main),
};
console.log(JSON.stringify(out));
