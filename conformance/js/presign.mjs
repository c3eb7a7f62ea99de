// Known-answer vector generator: runs the real AWS SDK for JavaScript v3
// presigner (@aws-sdk/s3-request-presigner) and writes what it produced.
//
//   node presign.mjs OUTFILE
//
// The output is deterministic (fixed credentials, fixed signing dates, no
// clock, no network, no shared config files). See README.md.

import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { crc32 as zlibCrc32 } from "node:zlib";

// ---------------------------------------------------------------------------
// Isolate the SDK from the environment *before* it is loaded (hence the
// dynamic imports below): no AWS_* variables, no ~/.aws files, no IMDS.
for (const k of Object.keys(process.env)) {
  if (k.startsWith("AWS_")) delete process.env[k];
}
process.env.AWS_CONFIG_FILE = "/dev/null";
process.env.AWS_SHARED_CREDENTIALS_FILE = "/dev/null";
process.env.AWS_EC2_METADATA_DISABLED = "true";

const S3 = await import("@aws-sdk/client-s3");
const Presigner = await import("@aws-sdk/s3-request-presigner");
const { HttpRequest } = await import("@smithy/core/protocols");
const { Sha256 } = await import("@smithy/core/checksum");
// The very formatter getSignedUrl uses (it replaced @aws-sdk/util-format-url).
const { formatUrl } = await import("@aws-sdk/core/util");

const { getSignedUrl, S3RequestPresigner } = Presigner;

const GENERATOR = "conformance/js/presign.mjs";

function installedVersion(pkg) {
  const url = new URL(`./node_modules/${pkg}/package.json`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")).version;
}

// ---------------------------------------------------------------------------
// Capture the HttpRequest that getSignedUrl presigns. getSignedUrl constructs
// an S3RequestPresigner from this same module instance and calls .presign()
// (or .presignWithCredentials() for S3 Express, which we never use).
let captured = [];
for (const method of ["presign", "presignWithCredentials"]) {
  const original = S3RequestPresigner.prototype[method];
  S3RequestPresigner.prototype[method] = async function (...args) {
    const presigned = await original.apply(this, args);
    captured.push(presigned);
    return presigned;
  };
}

// ---------------------------------------------------------------------------
// Fixed inputs.
const CREDS = {
  main: {
    accessKeyId: "AKIDEXAMPLE",
    secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  },
  alt: {
    accessKeyId: "AKIAIOSFODNN7EXAMPLE",
    secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  },
};
const TOKENS = {
  plain: "FQoGZXIvYXdzEXAMPLETOKEN",
  // Realistic shape: base64 with +, / and = that must be query-escaped.
  special: "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+ex/am+ple==",
};
const DATE_A = "2026-01-15T12:00:00Z";
const DATE_B = "2015-08-30T12:36:00Z";
const BUCKET = "examplebucket";

// Digests of a fixed payload, base64 as S3 expects them.
const PAYLOAD = Buffer.from("Hello, presigned world!\n", "utf8");

function crcTable(poly) {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}
const CRC32C_TABLE = crcTable(0x82f63b78);
function crc32c(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC32C_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
const CRC64_POLY = 0x9a6c9329ac4bc9b5n; // CRC-64/NVME, reflected
const MASK64 = 0xffffffffffffffffn;
function crc64nvme(buf) {
  let c = MASK64;
  for (const b of buf) {
    c ^= BigInt(b);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ CRC64_POLY : c >> 1n;
  }
  return c ^ MASK64;
}
function u32b64(v) {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b.toString("base64");
}
function u64b64(v) {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(v);
  return b.toString("base64");
}
// Self-check against the published check values ("123456789").
{
  const check = Buffer.from("123456789");
  if (zlibCrc32(check) !== 0xcbf43926 || crc32c(check) !== 0xe3069283 || crc64nvme(check) !== 0xae8b14860a799888n) {
    throw new Error("checksum self-test failed");
  }
}
const DIGEST = {
  md5: createHash("md5").update(PAYLOAD).digest("base64"),
  sha1: createHash("sha1").update(PAYLOAD).digest("base64"),
  sha256: createHash("sha256").update(PAYLOAD).digest("base64"),
  crc32: u32b64(zlibCrc32(PAYLOAD)),
  crc32c: u32b64(crc32c(PAYLOAD)),
  crc64nvme: u64b64(crc64nvme(PAYLOAD)),
};
const SSEC_KEY = "0123456789abcdefghijklmnopqrstuv"; // 32 ASCII bytes, SDK base64s it
const SSEC_KEY_B64 = Buffer.from("ZYXWVUTSRQPONMLKJIHGFEDCBA987654").toString("base64"); // already base64 (44 chars)
const UPLOAD_ID = "VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA";
const UPLOAD_ID_ODD = "2~iCw_lDY8VoNNcbXfsuqDQ0hgl.3nAgpxWkUMyTZm-E+s/1=";
const VERSION_ID = "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo";

// ---------------------------------------------------------------------------
// Case registry.
const specs = [];
const names = new Set();

function register(spec) {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(spec.name)) throw new Error(`bad case name ${spec.name}`);
  if (names.has(spec.name)) throw new Error(`duplicate case name ${spec.name}`);
  names.add(spec.name);
  specs.push(spec);
}

// opts: region, creds ("main"|"alt"), token (key of TOKENS), endpoint,
// forcePathStyle, dualstack, accelerate, date, expiresIn, signable,
// unhoistable, hoistable.
function command(name, operation, params, opts = {}) {
  register({ kind: "command", name, operation, params, opts });
}
function request(name, req, opts = {}) {
  register({ kind: "request", name, req, opts });
}

// "CreateMultipartUpload" -> "create-multipart-upload"; also flattens punctuation.
function slug(s) {
  return s
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

// ---------------------------------------------------------------------------
// 1. Operations with minimal parameters, in two contexts.
const MINIMAL = {
  GetObject: { Bucket: BUCKET, Key: "object.txt" },
  HeadObject: { Bucket: BUCKET, Key: "object.txt" },
  PutObject: { Bucket: BUCKET, Key: "object.txt" },
  DeleteObject: { Bucket: BUCKET, Key: "object.txt" },
  CreateMultipartUpload: { Bucket: BUCKET, Key: "big/object.bin" },
  UploadPart: { Bucket: BUCKET, Key: "big/object.bin", UploadId: UPLOAD_ID, PartNumber: 1 },
  CompleteMultipartUpload: { Bucket: BUCKET, Key: "big/object.bin", UploadId: UPLOAD_ID },
  AbortMultipartUpload: { Bucket: BUCKET, Key: "big/object.bin", UploadId: UPLOAD_ID },
  ListParts: { Bucket: BUCKET, Key: "big/object.bin", UploadId: UPLOAD_ID },
};
// A second context: other region, other credentials, session token, other date.
const CONTEXT_B = { region: "eu-central-1", creds: "alt", token: "special", date: DATE_B, expiresIn: 3600 };
for (const [op, params] of Object.entries(MINIMAL)) {
  command(`${slug(op)}-minimal`, op, params);
  command(`${slug(op)}-minimal-eu-central-1-session-token`, op, params, CONTEXT_B);
  command(`${slug(op)}-minimal-path-style-us-west-2`, op, params, { region: "us-west-2", forcePathStyle: true, date: DATE_B });
}

// ---------------------------------------------------------------------------
// 2. Object keys that stress path encoding, in three contexts.
const KEYS = [
  ["plain", "photo.jpg"],
  ["nested", "deep/nested/path/to/object.txt"],
  ["mixed-case", "UPPER/Mixed/Case.TXT"],
  ["spaces", "my file with spaces.txt"],
  ["e-acute", "café/résumé naïve.txt"],
  ["e-acute-decomposed", "cafe\u0301.txt"],
  ["japanese", "日本語/ファイル名.txt"],
  ["cjk-space-parens", "資料 2024/報告書 (最終).pdf"],
  ["emoji", "emoji-😀-🚀.png"],
  ["plus-equals", "a+b=c.txt"],
  ["question", "what?.txt"],
  ["hash", "hash#tag.txt"],
  ["percent", "100%.txt"],
  ["percent-encoded", "already%20encoded%2Fslash"],
  ["tilde", "tilde~name.txt"],
  ["star", "star*.txt"],
  ["ampersand", "amp&ersand.txt"],
  ["apostrophe", "it's.txt"],
  ["bang", "bang!.txt"],
  ["parens", "(parens).txt"],
  ["double-slash", "double//slash.txt"],
  ["leading-slash", "/leading-slash.txt"],
  ["two-leading-slashes", "//two-leading.txt"],
  ["trailing-slash", "folder/"],
  ["dot-dot-segment", "a/../b.txt"],
  ["dot-segment", "a/./b.txt"],
  ["leading-dot-dot", "../escape.txt"],
  ["only-dot-dot", ".."],
  ["only-dot", "."],
  ["sub-delims", "semi;colon:colon@at$dollar,comma"],
  ["brackets-braces", "brackets[1]{2}"],
  ["caret-pipe-backtick", "caret^pipe|backtick`"],
  ["quote-lt-gt", 'quote"lt<gt>'],
  ["backslash", "back\\slash"],
  ["tab", "tab\there"],
  ["unreserved", "-_.~AZaz09"],
  ["all-ascii-punctuation", " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"],
  ["long", `long/${"abcdefghij".repeat(30)}.bin`],
];
for (const [kslug, key] of KEYS) {
  command(`key-${kslug}-get`, "GetObject", { Bucket: BUCKET, Key: key });
  command(`key-${kslug}-put-path-style-us-west-2`, "PutObject", { Bucket: BUCKET, Key: key }, {
    region: "us-west-2",
    forcePathStyle: true,
    date: DATE_B,
  });
  command(`key-${kslug}-get-custom-endpoint-session-token`, "GetObject", { Bucket: BUCKET, Key: key }, {
    endpoint: "http://127.0.0.1:9000",
    forcePathStyle: true,
    token: "plain",
  });
}

// ---------------------------------------------------------------------------
// 3. Regions and partitions.
const REGIONS = ["us-east-1", "us-west-2", "eu-central-1", "ap-southeast-2", "cn-north-1", "us-gov-west-1"];
for (const region of REGIONS) {
  for (const op of ["GetObject", "PutObject"]) {
    const p = { Bucket: BUCKET, Key: "reports/2026.csv" };
    command(`region-${region}-${slug(op)}`, op, p, { region });
    command(`region-${region}-${slug(op)}-path-style`, op, p, { region, forcePathStyle: true });
  }
  command(`region-${region}-get-object-dualstack`, "GetObject", { Bucket: BUCKET, Key: "k" }, { region, dualstack: true });
  command(`region-${region}-get-object-dualstack-path-style`, "GetObject", { Bucket: BUCKET, Key: "k" }, {
    region,
    dualstack: true,
    forcePathStyle: true,
  });
  command(`region-${region}-get-object-accelerate`, "GetObject", { Bucket: BUCKET, Key: "k" }, { region, accelerate: true });
}
command("accelerate-dualstack-put-object", "PutObject", { Bucket: BUCKET, Key: "k" }, {
  region: "us-west-2",
  accelerate: true,
  dualstack: true,
});
command("accelerate-path-style-get-object", "GetObject", { Bucket: BUCKET, Key: "k" }, {
  region: "us-west-2",
  accelerate: true,
  forcePathStyle: true,
});

// ---------------------------------------------------------------------------
// 4. Bucket names: the SDK decides virtual-hosted vs path-style.
const BUCKETS = [
  ["dotted", "my.dotted.bucket"],
  ["two-dots", "a.b.c"],
  ["upper-case", "MyUpperCaseBucket"],
  ["dashes-digits", "bucket-with-dashes-123"],
  ["leading-digits", "123bucket"],
  ["three-chars", "abc"],
  ["underscore", "bucket_underscore"],
  ["ip-like", "192.168.5.4"],
];
for (const [bslug, bucket] of BUCKETS) {
  const p = { Bucket: bucket, Key: "dir/file.txt" };
  command(`bucket-${bslug}-get`, "GetObject", p);
  command(`bucket-${bslug}-get-path-style`, "GetObject", p, { forcePathStyle: true });
  command(`bucket-${bslug}-put-us-west-2`, "PutObject", p, { region: "us-west-2", date: DATE_B });
  command(`bucket-${bslug}-get-dualstack`, "GetObject", p, { region: "eu-central-1", dualstack: true });
}
command("bucket-dotted-get-accelerate", "GetObject", { Bucket: "my.dotted.bucket", Key: "k" }, { accelerate: true });
command("bucket-dotted-get-custom-http-endpoint", "GetObject", { Bucket: "my.dotted.bucket", Key: "k" }, {
  endpoint: "http://localhost:9000",
});

// ---------------------------------------------------------------------------
// 5. Custom endpoints.
const ENDPOINTS = [
  ["http-127-0-0-1-9000", "http://127.0.0.1:9000"],
  ["http-localhost-9000", "http://localhost:9000"],
  ["https-s3-example-com", "https://s3.example.com"],
  ["https-minio-internal-9443-slash", "https://minio.internal:9443/"],
  ["https-explicit-443", "https://s3.example.com:443"],
  ["http-explicit-80", "http://s3.example.com:80"],
  ["https-base-path", "https://gateway.example.com/storage/s3"],
];
for (const [eslug, endpoint] of ENDPOINTS) {
  for (const op of ["GetObject", "PutObject"]) {
    const p = { Bucket: BUCKET, Key: "dir/file name.txt" };
    command(`endpoint-${eslug}-${slug(op)}`, op, p, { endpoint });
    command(`endpoint-${eslug}-${slug(op)}-path-style`, op, p, { endpoint, forcePathStyle: true });
  }
}
command("endpoint-minio-us-west-2-session-token", "PutObject", { Bucket: BUCKET, Key: "uploads/a.bin", ContentType: "application/octet-stream" }, {
  endpoint: "https://minio.internal:9443/",
  forcePathStyle: true,
  region: "us-west-2",
  creds: "alt",
  token: "special",
  date: DATE_B,
});

// ---------------------------------------------------------------------------
// 6. Expiry and signing dates.
for (const expiresIn of [undefined, 1, 60, 3600, 604800]) {
  for (const [dslug, date] of [["2026", DATE_A], ["2015", DATE_B]]) {
    for (const op of ["GetObject", "PutObject"]) {
      const e = expiresIn === undefined ? "default" : String(expiresIn);
      command(`expires-${e}-${dslug}-${slug(op)}`, op, { Bucket: BUCKET, Key: "expiry/test.txt" }, { expiresIn, date });
    }
  }
}
command("expires-604801-error", "GetObject", { Bucket: BUCKET, Key: "k" }, { expiresIn: 604801 });

// ---------------------------------------------------------------------------
// 7. Session tokens and credentials.
for (const [tslug, token] of [["plain", "plain"], ["special", "special"]]) {
  for (const op of ["GetObject", "PutObject", "UploadPart"]) {
    command(`session-token-${tslug}-${slug(op)}`, op, MINIMAL[op], { token });
    command(`session-token-${tslug}-${slug(op)}-alt-creds`, op, MINIMAL[op], { token, creds: "alt", region: "ap-southeast-2" });
  }
}

// ---------------------------------------------------------------------------
// 8. Operation parameters, each in two contexts.
const METADATA_MIXED = { Foo: "bar", "Upper-Case-Key": "Value", lower: "x y z", "camelKey": "1" };
const METADATA_UNICODE = { author: "Zoë Ångström", title: "日本語のタイトル", emoji: "🚀 launch" };
const PARAM_CASES = {
  GetObject: [
    ["version-id", { VersionId: VERSION_ID }],
    ["part-number", { PartNumber: 2 }],
    ["response-content-type", { ResponseContentType: "application/json; charset=utf-8" }],
    ["response-content-disposition-quoted", { ResponseContentDisposition: 'attachment; filename="quarterly report.pdf"' }],
    ["response-content-disposition-rfc5987", { ResponseContentDisposition: "attachment; filename*=UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9.pdf" }],
    ["response-content-disposition-unicode", { ResponseContentDisposition: "inline; filename=\"résumé.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf" }],
    ["response-content-disposition-raw-unicode", { ResponseContentDisposition: 'attachment; filename="日本語 📄.txt"' }],
    ["response-cache-control", { ResponseCacheControl: "no-cache, max-age=0" }],
    ["response-content-language", { ResponseContentLanguage: "en-US, fr" }],
    ["response-content-encoding", { ResponseContentEncoding: "gzip" }],
    ["response-expires", { ResponseExpires: "2026-02-01T00:00:00Z" }],
    ["all-response-overrides", {
      ResponseCacheControl: "private",
      ResponseContentDisposition: 'attachment; filename="a+b=c&d.txt"',
      ResponseContentEncoding: "identity",
      ResponseContentLanguage: "de",
      ResponseContentType: "text/plain",
      ResponseExpires: "2030-12-31T23:59:59Z",
    }],
    ["range", { Range: "bytes=0-1023" }],
    ["if-match", { IfMatch: '"9b2cf535f27731c974343645a3985328"' }],
    ["if-none-match", { IfNoneMatch: '"9b2cf535f27731c974343645a3985328"' }],
    ["checksum-mode", { ChecksumMode: "ENABLED" }],
    ["request-payer", { RequestPayer: "requester" }],
    ["expected-bucket-owner", { ExpectedBucketOwner: "111122223333" }],
    ["sse-c", { SSECustomerAlgorithm: "AES256", SSECustomerKey: SSEC_KEY }],
    ["version-id-and-response-type", { VersionId: VERSION_ID, ResponseContentType: "image/png" }],
  ],
  HeadObject: [
    ["version-id", { VersionId: VERSION_ID }],
    ["part-number", { PartNumber: 1 }],
    ["range", { Range: "bytes=100-" }],
    ["sse-c", { SSECustomerAlgorithm: "AES256", SSECustomerKey: SSEC_KEY }],
    ["response-content-type", { ResponseContentType: "text/csv" }],
    ["checksum-mode", { ChecksumMode: "ENABLED" }],
  ],
  PutObject: [
    ["content-type", { ContentType: "image/jpeg" }],
    ["content-type-params", { ContentType: "text/plain; charset=UTF-8" }],
    ["content-length", { ContentLength: PAYLOAD.length }],
    ["content-length-zero", { ContentLength: 0 }],
    ["content-md5", { ContentMD5: DIGEST.md5 }],
    ["cache-control", { CacheControl: "max-age=31536000, immutable" }],
    ["content-disposition", { ContentDisposition: 'attachment; filename="report.pdf"' }],
    ["content-encoding", { ContentEncoding: "gzip" }],
    ["content-language", { ContentLanguage: "en" }],
    ["metadata-single", { Metadata: { foo: "bar" } }],
    ["metadata-mixed-case", { Metadata: METADATA_MIXED }],
    ["metadata-unicode", { Metadata: METADATA_UNICODE }],
    ["acl-public-read", { ACL: "public-read" }],
    ["acl-bucket-owner-full-control", { ACL: "bucket-owner-full-control" }],
    ["storage-class-standard-ia", { StorageClass: "STANDARD_IA" }],
    ["storage-class-glacier-ir", { StorageClass: "GLACIER_IR" }],
    ["tagging", { Tagging: "project=presign&env=test run" }],
    ["sse-aes256", { ServerSideEncryption: "AES256" }],
    ["sse-kms", { ServerSideEncryption: "aws:kms", SSEKMSKeyId: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab" }],
    ["sse-kms-no-key-id", { ServerSideEncryption: "aws:kms" }],
    ["sse-kms-context-bucket-key", {
      ServerSideEncryption: "aws:kms",
      SSEKMSKeyId: "alias/my-key",
      SSEKMSEncryptionContext: Buffer.from('{"purpose":"test"}').toString("base64"),
      BucketKeyEnabled: true,
    }],
    ["sse-c", { SSECustomerAlgorithm: "AES256", SSECustomerKey: SSEC_KEY }],
    ["sse-c-base64-key", { SSECustomerAlgorithm: "AES256", SSECustomerKey: SSEC_KEY_B64 }],
    ["checksum-crc32", { ChecksumCRC32: DIGEST.crc32 }],
    ["checksum-crc32c", { ChecksumCRC32C: DIGEST.crc32c }],
    ["checksum-crc64nvme", { ChecksumCRC64NVME: DIGEST.crc64nvme }],
    ["checksum-sha1", { ChecksumSHA1: DIGEST.sha1 }],
    ["checksum-sha256", { ChecksumSHA256: DIGEST.sha256 }],
    ["checksum-algorithm-crc32", { ChecksumAlgorithm: "CRC32" }],
    ["website-redirect", { WebsiteRedirectLocation: "/other/page.html" }],
    ["if-none-match-star", { IfNoneMatch: "*" }],
    ["request-payer", { RequestPayer: "requester" }],
    ["grant-read", { GrantRead: 'uri="http://acs.amazonaws.com/groups/global/AllUsers"' }],
    ["object-lock-legal-hold", { ObjectLockLegalHoldStatus: "ON" }],
    ["everything", {
      ContentType: "application/pdf",
      ContentLength: PAYLOAD.length,
      ContentMD5: DIGEST.md5,
      CacheControl: "no-store",
      ContentDisposition: "inline",
      ContentEncoding: "identity",
      Metadata: { Foo: "bar", "x-y": "ünïcödé" },
      ACL: "private",
      StorageClass: "INTELLIGENT_TIERING",
      Tagging: "a=1",
      ServerSideEncryption: "aws:kms",
      SSEKMSKeyId: "alias/aws/s3",
      ChecksumSHA256: DIGEST.sha256,
    }],
  ],
  DeleteObject: [
    ["version-id", { VersionId: VERSION_ID }],
    ["mfa", { MFA: "arn:aws:iam::111122223333:mfa/user 123456" }],
    ["bypass-governance", { BypassGovernanceRetention: true }],
  ],
  CreateMultipartUpload: [
    ["content-type", { ContentType: "video/mp4" }],
    ["metadata", { Metadata: METADATA_MIXED }],
    ["sse-kms", { ServerSideEncryption: "aws:kms", SSEKMSKeyId: "alias/my-key" }],
    ["sse-c", { SSECustomerAlgorithm: "AES256", SSECustomerKey: SSEC_KEY }],
    ["checksum-algorithm-sha256", { ChecksumAlgorithm: "SHA256" }],
    ["checksum-algorithm-crc64nvme-full-object", { ChecksumAlgorithm: "CRC64NVME", ChecksumType: "FULL_OBJECT" }],
    ["storage-class-acl-tagging", { StorageClass: "REDUCED_REDUNDANCY", ACL: "authenticated-read", Tagging: "k=v" }],
  ],
  UploadPart: [
    ["part-10000", { PartNumber: 10000 }],
    ["odd-upload-id", { UploadId: UPLOAD_ID_ODD }],
    ["content-length", { ContentLength: 5242880 }],
    ["content-md5", { ContentMD5: DIGEST.md5 }],
    ["checksum-crc32", { ChecksumCRC32: DIGEST.crc32 }],
    ["checksum-sha256", { ChecksumSHA256: DIGEST.sha256 }],
    ["sse-c", { SSECustomerAlgorithm: "AES256", SSECustomerKey: SSEC_KEY }],
  ],
  CompleteMultipartUpload: [
    ["odd-upload-id", { UploadId: UPLOAD_ID_ODD }],
    ["if-none-match", { IfNoneMatch: "*" }],
    ["checksum-crc32", { ChecksumCRC32: DIGEST.crc32 }],
  ],
  AbortMultipartUpload: [
    ["odd-upload-id", { UploadId: UPLOAD_ID_ODD }],
    ["request-payer", { RequestPayer: "requester" }],
  ],
  ListParts: [
    ["max-parts", { MaxParts: 100 }],
    ["part-number-marker", { PartNumberMarker: "5", MaxParts: 10 }],
    ["odd-upload-id", { UploadId: UPLOAD_ID_ODD }],
  ],
};
for (const [op, list] of Object.entries(PARAM_CASES)) {
  for (const [pslug, extra] of list) {
    const params = { ...MINIMAL[op], ...extra };
    command(`${slug(op)}-${pslug}`, op, params);
    command(`${slug(op)}-${pslug}-eu-central-1-session-token`, op, params, CONTEXT_B);
  }
}

// ---------------------------------------------------------------------------
// 9. Hoisting options (signableHeaders / unhoistableHeaders / hoistableHeaders).
const PUT_FULL = {
  Bucket: BUCKET,
  Key: "hoist/object.bin",
  ContentType: "application/octet-stream",
  ContentLength: PAYLOAD.length,
  ContentMD5: DIGEST.md5,
  CacheControl: "no-cache",
  Metadata: { foo: "bar", other: "value" },
  ChecksumSHA256: DIGEST.sha256,
  ACL: "private",
  StorageClass: "STANDARD_IA",
  Tagging: "team=storage",
};
const PUT_AES = { Bucket: BUCKET, Key: "hoist/sse.bin", ServerSideEncryption: "AES256" };
const PUT_KMS = { Bucket: BUCKET, Key: "hoist/kms.bin", ServerSideEncryption: "aws:kms", SSEKMSKeyId: "alias/my-key" };
const PUT_SSEC = { Bucket: BUCKET, Key: "hoist/ssec.bin", SSECustomerAlgorithm: "AES256", SSECustomerKey: SSEC_KEY };
const HOISTING = [
  ["signable-content-type", PUT_FULL, { signable: ["content-type"] }],
  ["signable-content-length", PUT_FULL, { signable: ["content-length"] }],
  ["signable-content-md5", PUT_FULL, { signable: ["content-md5"] }],
  ["signable-x-amz-meta-foo", PUT_FULL, { signable: ["x-amz-meta-foo"] }],
  ["signable-cache-control", PUT_FULL, { signable: ["cache-control"] }],
  ["signable-all", PUT_FULL, { signable: ["content-type", "content-length", "content-md5", "x-amz-meta-foo", "cache-control"] }],
  ["signable-absent-header", { Bucket: BUCKET, Key: "hoist/none.bin" }, { signable: ["content-type"] }],
  ["unhoistable-checksum-sha256", PUT_FULL, { unhoistable: ["x-amz-checksum-sha256"] }],
  ["unhoistable-meta-foo", PUT_FULL, { unhoistable: ["x-amz-meta-foo"] }],
  ["unhoistable-meta-wildcard-literal", PUT_FULL, { unhoistable: ["x-amz-meta-*"] }],
  ["unhoistable-acl", PUT_FULL, { unhoistable: ["x-amz-acl"] }],
  ["unhoistable-storage-class", PUT_FULL, { unhoistable: ["x-amz-storage-class"] }],
  ["unhoistable-tagging", PUT_FULL, { unhoistable: ["x-amz-tagging"] }],
  ["unhoistable-all", PUT_FULL, {
    unhoistable: ["x-amz-checksum-sha256", "x-amz-meta-foo", "x-amz-meta-other", "x-amz-acl", "x-amz-storage-class", "x-amz-tagging"],
  }],
  ["unhoistable-content-sha256", PUT_FULL, { unhoistable: ["x-amz-content-sha256"] }],
  ["hoistable-sse-aes256", PUT_AES, { hoistable: ["x-amz-server-side-encryption"] }],
  ["hoistable-sse-kms-both", PUT_KMS, { hoistable: ["x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id"] }],
  ["hoistable-sse-kms-key-id-only", PUT_KMS, { hoistable: ["x-amz-server-side-encryption-aws-kms-key-id"] }],
  ["hoistable-sse-c-algorithm", PUT_SSEC, { hoistable: ["x-amz-server-side-encryption-customer-algorithm"] }],
  ["hoistable-content-type", PUT_FULL, { hoistable: ["content-type"] }],
  ["hoistable-and-unhoistable-same", PUT_AES, {
    hoistable: ["x-amz-server-side-encryption"],
    unhoistable: ["x-amz-server-side-encryption"],
  }],
  ["signable-and-unhoistable", PUT_FULL, { signable: ["content-type"], unhoistable: ["x-amz-meta-foo", "x-amz-checksum-sha256"] }],
  ["sse-kms-default-no-options", PUT_KMS, {}],
  ["sse-c-default-no-options", PUT_SSEC, {}],
];
for (const [hslug, params, opts] of HOISTING) {
  command(`hoist-${hslug}-put-object`, "PutObject", params, opts);
  command(`hoist-${hslug}-put-object-path-style-session-token`, "PutObject", params, {
    ...opts,
    forcePathStyle: true,
    token: "plain",
    region: "us-west-2",
    date: DATE_B,
    expiresIn: 60,
  });
}
command("hoist-get-object-sse-c-hoistable-all", "GetObject", { Bucket: BUCKET, Key: "hoist/ssec.bin", SSECustomerAlgorithm: "AES256", SSECustomerKey: SSEC_KEY }, {
  hoistable: [
    "x-amz-server-side-encryption-customer-algorithm",
    "x-amz-server-side-encryption-customer-key",
    "x-amz-server-side-encryption-customer-key-md5",
  ],
});
command("hoist-upload-part-checksum-unhoistable", "UploadPart", { ...MINIMAL.UploadPart, ChecksumCRC32C: DIGEST.crc32c, ContentLength: 5242880 }, {
  unhoistable: ["x-amz-checksum-crc32c"],
  signable: ["content-length"],
});
command("hoist-create-multipart-upload-sse-kms-hoisted", "CreateMultipartUpload", { ...MINIMAL.CreateMultipartUpload, ...PUT_KMS, Key: "big/object.bin", ContentType: "video/mp4" }, {
  hoistable: ["x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id"],
  signable: ["content-type"],
});

// ---------------------------------------------------------------------------
// 10. Combinations.
command("combo-put-everything-minio-path-style-token", "PutObject", {
  Bucket: "uploads-bucket",
  Key: "users/42/avatar image (1).png",
  ContentType: "image/png",
  ContentLength: 1024,
  Metadata: { "Uploaded-By": "user 42", origin: "web" },
  ServerSideEncryption: "aws:kms",
  SSEKMSKeyId: "alias/uploads",
  ChecksumSHA256: DIGEST.sha256,
}, {
  endpoint: "http://127.0.0.1:9000",
  forcePathStyle: true,
  token: "special",
  creds: "alt",
  region: "us-west-2",
  date: DATE_B,
  expiresIn: 3600,
  signable: ["content-type"],
});
command("combo-put-everything-aws-virtual-signable-hoistable", "PutObject", {
  Bucket: "uploads-bucket",
  Key: "users/42/avatar image (1).png",
  ContentType: "image/png",
  ContentLength: 1024,
  Metadata: { "Uploaded-By": "user 42", origin: "web" },
  ServerSideEncryption: "aws:kms",
  SSEKMSKeyId: "alias/uploads",
  ChecksumSHA256: DIGEST.sha256,
}, {
  region: "eu-central-1",
  token: "plain",
  expiresIn: 604800,
  signable: ["content-type", "content-length"],
  unhoistable: ["x-amz-checksum-sha256"],
  hoistable: ["x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id"],
});
command("combo-get-download-unicode-disposition-dualstack", "GetObject", {
  Bucket: BUCKET,
  Key: "exports/日本語 report #1.csv",
  ResponseContentDisposition: "attachment; filename=\"report.csv\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC%E8%AA%9E%20report%20%231.csv",
  ResponseContentType: "text/csv; charset=utf-8",
  VersionId: VERSION_ID,
}, { region: "ap-southeast-2", dualstack: true, token: "special", expiresIn: 300 });
command("combo-upload-part-ssec-custom-endpoint", "UploadPart", {
  ...MINIMAL.UploadPart,
  Key: "big/vidéo file.mp4",
  PartNumber: 7,
  ContentLength: 5242880,
  ContentMD5: DIGEST.md5,
  SSECustomerAlgorithm: "AES256",
  SSECustomerKey: SSEC_KEY,
}, { endpoint: "https://minio.internal:9443/", forcePathStyle: true, creds: "alt", date: DATE_B });
command("combo-create-multipart-upload-metadata-kms-accelerate", "CreateMultipartUpload", {
  ...MINIMAL.CreateMultipartUpload,
  ContentType: "application/zip",
  Metadata: METADATA_UNICODE,
  ServerSideEncryption: "aws:kms",
  SSEKMSKeyId: "alias/big",
  ChecksumAlgorithm: "SHA256",
}, { accelerate: true, region: "us-west-2", token: "plain", signable: ["content-type"] });
command("combo-delete-object-version-cn-north-1-path-style", "DeleteObject", {
  Bucket: "my.dotted.bucket",
  Key: "old/ファイル.txt",
  VersionId: VERSION_ID,
}, { region: "cn-north-1", forcePathStyle: true, token: "special", date: DATE_B, expiresIn: 1 });

// ---------------------------------------------------------------------------
// 11. Presigning an existing HttpRequest with S3RequestPresigner directly.
const VHOST = "examplebucket.s3.us-east-1.amazonaws.com";
const REQUESTS = [
  ["get-virtual-host", { method: "GET", protocol: "https:", hostname: VHOST, path: "/photo.jpg", query: {}, headers: {} }],
  ["get-path-style-with-port", {
    method: "GET", protocol: "http:", hostname: "127.0.0.1", port: 9000, path: "/examplebucket/photo.jpg", query: {}, headers: {},
  }],
  ["get-host-header-without-port", {
    method: "GET", protocol: "http:", hostname: "localhost", port: 9000, path: "/examplebucket/k", query: {}, headers: { host: "localhost" },
  }],
  ["get-host-header-custom", {
    method: "GET", protocol: "https:", hostname: VHOST, path: "/k", query: {}, headers: { host: "cdn.example.com" },
  }],
  ["head-existing-query", {
    method: "HEAD", protocol: "https:", hostname: VHOST, path: "/k",
    query: { versionId: VERSION_ID, "response-content-type": "text/plain" }, headers: {},
  }],
  // Query values are kept to plain strings so the schema stays map[string]string.
  ["get-query-list-and-empty", {
    method: "GET", protocol: "https:", hostname: VHOST, path: "/",
    query: { "list-type": "2", prefix: "a b/c", delimiter: "/", empty: "" }, headers: {},
  }],
  ["get-query-special-chars", {
    method: "GET", protocol: "https:", hostname: VHOST, path: "/k",
    query: { "weird key": "v+1=2&3", "ünï": "日本", "x-id": "GetObject" }, headers: {},
  }],
  ["put-content-type-meta-length", {
    method: "PUT", protocol: "https:", hostname: VHOST, path: "/upload.bin", query: { "x-id": "PutObject" },
    headers: { "content-type": "application/octet-stream", "content-length": "24", "x-amz-meta-foo": "bar" },
  }],
  ["put-content-type-signable", {
    method: "PUT", protocol: "https:", hostname: VHOST, path: "/upload.bin", query: {},
    headers: { "content-type": "text/plain", "x-amz-meta-foo": "bar" },
  }, { signable: ["content-type"] }],
  ["put-unsignable-headers", {
    method: "PUT", protocol: "https:", hostname: VHOST, path: "/upload.bin", query: {},
    headers: {
      "user-agent": "my-uploader/1.0",
      "x-amzn-trace-id": "Root=1-5759e988-bd862e3fe1be46a994272793",
      "proxy-authorization": "Basic dXNlcjpwYXNz",
      "sec-fetch-mode": "cors",
      "cache-control": "no-cache",
      connection: "keep-alive",
      expect: "100-continue",
      referer: "https://example.com/",
      "content-md5": DIGEST.md5,
    },
  }],
  ["put-unsignable-headers-made-signable", {
    method: "PUT", protocol: "https:", hostname: VHOST, path: "/upload.bin", query: {},
    headers: { "user-agent": "my-uploader/1.0", "sec-fetch-mode": "cors", "proxy-authorization": "Basic dXNlcjpwYXNz", "x-amzn-trace-id": "Root=1" },
  }, { signable: ["user-agent", "sec-fetch-mode", "proxy-authorization", "x-amzn-trace-id"] }],
  ["put-sse-default", {
    method: "PUT", protocol: "https:", hostname: VHOST, path: "/sse.bin", query: {},
    headers: { "x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": "alias/k", "x-amz-acl": "private" },
  }],
  ["put-sse-hoistable", {
    method: "PUT", protocol: "https:", hostname: VHOST, path: "/sse.bin", query: {},
    headers: { "x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": "alias/k" },
  }, { hoistable: ["x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id"] }],
  ["put-unhoistable-options", {
    method: "PUT", protocol: "https:", hostname: VHOST, path: "/k", query: {},
    headers: {
      "x-amz-acl": "public-read", "x-amz-storage-class": "GLACIER", "x-amz-tagging": "a=b&c=d",
      "x-amz-meta-foo": "bar", "x-amz-checksum-sha256": DIGEST.sha256,
    },
  }, { unhoistable: ["x-amz-acl", "x-amz-storage-class", "x-amz-tagging", "x-amz-meta-foo", "x-amz-checksum-sha256"] }],
  ["put-hoistable-content-type", {
    method: "PUT", protocol: "https:", hostname: VHOST, path: "/k", query: {},
    headers: { "content-type": "image/png", "content-length": "10" },
  }, { hoistable: ["content-type"] }],
  ["put-mixed-case-header-names", {
    method: "PUT", protocol: "https:", hostname: VHOST, path: "/k", query: {},
    headers: { "Content-Type": "text/plain", "Content-MD5": DIGEST.md5, "X-Amz-Meta-Camel": "Value", "X-Amz-Server-Side-Encryption": "AES256" },
  }],
  ["put-header-whitespace", {
    method: "PUT", protocol: "https:", hostname: VHOST, path: "/k", query: {},
    headers: { "x-amz-meta-spaced": "  a   b\tc  ", "content-disposition": "  attachment;   filename=x  " },
  }, { unhoistable: ["x-amz-meta-spaced"] }],
  ["get-generated-headers-removed", {
    method: "GET", protocol: "https:", hostname: VHOST, path: "/k", query: {},
    headers: { authorization: "AWS4-HMAC-SHA256 junk", "x-amz-date": "20200101T000000Z", date: "Wed, 01 Jan 2020 00:00:00 GMT" },
  }],
  ["put-preset-content-sha256-lowercase", {
    method: "PUT", protocol: "https:", hostname: VHOST, path: "/k", query: {},
    headers: { "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
  }],
  ["get-path-pre-encoded", {
    method: "GET", protocol: "https:", hostname: VHOST, path: "/a%20b/c%2Fd/%E6%97%A5.txt", query: {}, headers: {},
  }],
  ["get-path-raw-unicode-and-dots", {
    method: "GET", protocol: "https:", hostname: VHOST, path: "/a/../日本 語/./x", query: {}, headers: {},
  }],
  ["delete-with-session-token", {
    method: "DELETE", protocol: "https:", hostname: "examplebucket.s3.us-west-2.amazonaws.com", path: "/k", query: { versionId: "v1" }, headers: {},
  }, { region: "us-west-2", token: "special", creds: "alt", date: DATE_B }],
  ["post-uploads", {
    method: "POST", protocol: "https:", hostname: VHOST, path: "/big.bin", query: { uploads: "" }, headers: { "content-type": "video/mp4" },
  }, { expiresIn: 604800 }],
  ["put-upload-part", {
    method: "PUT", protocol: "https:", hostname: VHOST, path: "/big.bin", query: { partNumber: "3", uploadId: UPLOAD_ID_ODD },
    headers: { "content-length": "5242880" },
  }, { expiresIn: 1, date: DATE_B }],
  ["get-cn-north-1", {
    method: "GET", protocol: "https:", hostname: "examplebucket.s3.cn-north-1.amazonaws.com.cn", path: "/k", query: {}, headers: {},
  }, { region: "cn-north-1" }],
  ["get-expires-too-long", {
    method: "GET", protocol: "https:", hostname: VHOST, path: "/k", query: {}, headers: {},
  }, { expiresIn: 604801 }],
];
for (const [rslug, req, opts] of REQUESTS) {
  request(`request-${rslug}`, req, opts);
  if (!opts) {
    request(`request-${rslug}-alt-2015-token`, req, { creds: "alt", token: "plain", date: DATE_B, region: "us-west-2", expiresIn: 3600 });
  }
}

// ---------------------------------------------------------------------------
// Running.
function credentialsFor(opts) {
  const c = { ...CREDS[opts.creds ?? "main"] };
  if (opts.token) c.sessionToken = TOKENS[opts.token];
  return c;
}

function presignOptions(opts) {
  const o = { signingDate: new Date(opts.date ?? DATE_A) };
  if (opts.expiresIn !== undefined) o.expiresIn = opts.expiresIn;
  if (opts.signable) o.signableHeaders = new Set(opts.signable);
  if (opts.unhoistable) o.unhoistableHeaders = new Set(opts.unhoistable);
  if (opts.hoistable) o.hoistableHeaders = new Set(opts.hoistable);
  return o;
}

function recordCommon(input, opts) {
  input.region = opts.region ?? "us-east-1";
  input.credentials = credentialsFor(opts);
}
function recordOptions(input, opts) {
  input.signingDate = opts.date ?? DATE_A;
  if (opts.expiresIn !== undefined) input.expiresIn = opts.expiresIn;
  if (opts.signable) input.signableHeaders = [...opts.signable];
  if (opts.unhoistable) input.unhoistableHeaders = [...opts.unhoistable];
  if (opts.hoistable) input.hoistableHeaders = [...opts.hoistable];
}

function sortedHeaders(headers, drop = []) {
  const out = {};
  for (const k of Object.keys(headers).sort()) {
    if (drop.includes(k)) continue;
    out[k] = headers[k];
  }
  return out;
}

function errorMessage(e) {
  return e instanceof Error ? e.message : String(e);
}

const noNetwork = {
  handle: async () => {
    throw new Error("conformance generator attempted network access");
  },
};

async function runCommand(spec) {
  const { name, operation, params, opts } = spec;
  const input = { kind: "command", operation, params: JSON.parse(JSON.stringify(params)) };
  recordCommon(input, opts);
  if (opts.endpoint) input.endpoint = opts.endpoint;
  if (opts.forcePathStyle) input.forcePathStyle = true;
  if (opts.dualstack) input.useDualstackEndpoint = true;
  if (opts.accelerate) input.useAccelerateEndpoint = true;
  recordOptions(input, opts);

  const client = new S3.S3Client({
    region: input.region,
    credentials: input.credentials,
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    forcePathStyle: !!opts.forcePathStyle,
    useDualstackEndpoint: !!opts.dualstack,
    useAccelerateEndpoint: !!opts.accelerate,
    useFipsEndpoint: false,
    useArnRegion: false,
    disableMultiregionAccessPoints: false,
    disableS3ExpressSessionAuth: false,
    followRegionRedirects: false,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    defaultsMode: "legacy",
    maxAttempts: 1,
    retryMode: "standard",
    requestHandler: noNetwork,
  });
  const sdkParams = { ...JSON.parse(JSON.stringify(params)) };
  if (sdkParams.ResponseExpires !== undefined) sdkParams.ResponseExpires = new Date(sdkParams.ResponseExpires);
  const Command = S3[`${operation}Command`];
  if (typeof Command !== "function") throw new Error(`unknown operation ${operation}`);

  captured = [];
  let output;
  try {
    const url = await getSignedUrl(client, new Command(sdkParams), presignOptions(opts));
    if (captured.length !== 1) throw new Error(`${name}: expected one presign call, saw ${captured.length}`);
    const presigned = captured[0];
    // user-agent is set by the SDK's user-agent middleware (OS, kernel and Node
    // versions: machine-dependent). It is always unsignable, so it never
    // reaches the URL; it is left out of the recorded headers.
    output = { method: presigned.method, url, headers: sortedHeaders(presigned.headers, ["user-agent"]) };
  } catch (e) {
    output = { error: errorMessage(e) };
  } finally {
    client.destroy();
  }
  return { name, input, output };
}

async function runRequest(spec) {
  const { name, req, opts } = spec;
  const rec = { method: req.method, protocol: req.protocol, hostname: req.hostname };
  if (req.port !== undefined) rec.port = req.port;
  rec.path = req.path;
  rec.query = JSON.parse(JSON.stringify(req.query));
  rec.headers = { ...req.headers };
  const input = { kind: "request", request: rec };
  recordCommon(input, opts ?? {});
  recordOptions(input, opts ?? {});

  const presigner = new S3RequestPresigner({
    credentials: input.credentials,
    region: input.region,
    sha256: Sha256,
  });
  const httpRequest = new HttpRequest({
    method: req.method,
    protocol: req.protocol,
    hostname: req.hostname,
    ...(req.port !== undefined ? { port: req.port } : {}),
    path: req.path,
    query: JSON.parse(JSON.stringify(req.query)),
    headers: { ...req.headers },
  });
  let output;
  try {
    const presigned = await presigner.presign(httpRequest, presignOptions(opts ?? {}));
    output = { method: presigned.method, url: formatUrl(presigned), headers: sortedHeaders(presigned.headers) };
  } catch (e) {
    output = { error: errorMessage(e) };
  }
  return { name, input, output };
}

async function main() {
  const outFile = process.argv[2];
  if (!outFile) {
    console.error("usage: node presign.mjs OUTFILE");
    process.exit(2);
  }
  const cases = [];
  for (const spec of specs) {
    cases.push(spec.kind === "command" ? await runCommand(spec) : await runRequest(spec));
  }
  const doc = {
    generator: GENERATOR,
    sdk: {
      "@aws-sdk/client-s3": installedVersion("@aws-sdk/client-s3"),
      "@aws-sdk/s3-request-presigner": installedVersion("@aws-sdk/s3-request-presigner"),
    },
    cases,
  };
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, JSON.stringify(doc, null, 2) + "\n");
  const errors = cases.filter((c) => c.output.error).length;
  const kinds = cases.reduce((m, c) => ((m[c.input.kind] = (m[c.input.kind] ?? 0) + 1), m), {});
  console.error(`wrote ${cases.length} cases (${JSON.stringify(kinds)}, ${errors} errors) to ${outFile}`);
}

await main();
