// Known-answer vector generator: runs the real createPresignedPost of
// @aws-sdk/s3-presigned-post and writes the presigned POST forms it made.
//
//   node post.mjs OUTFILE
//
// The output is deterministic: fixed credentials, a fixed clock per case
// (Date.now is pinned while createPresignedPost runs), no network, no shared
// config files. See README.md.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

// ---------------------------------------------------------------------------
// Isolate the SDK from the environment before it is loaded.
for (const k of Object.keys(process.env)) {
  if (k.startsWith("AWS_")) delete process.env[k];
}
process.env.AWS_CONFIG_FILE = "/dev/null";
process.env.AWS_SHARED_CREDENTIALS_FILE = "/dev/null";
process.env.AWS_EC2_METADATA_DISABLED = "true";

const { createPresignedPost } = await import("@aws-sdk/s3-presigned-post");
// createPresignedPost resolves the endpoint with PutObjectCommand of its own
// (nested) @aws-sdk/client-s3; the client is built from that same copy.
const postPkgDir = dirname(fileURLToPath(import.meta.resolve("@aws-sdk/s3-presigned-post/package.json")));
const requireFromPost = createRequire(postPkgDir + "/package.json");
const { S3Client } = requireFromPost("@aws-sdk/client-s3");

const GENERATOR = "conformance/js/post.mjs";

function versionOf(pkgJsonPath) {
  return JSON.parse(readFileSync(pkgJsonPath, "utf8")).version;
}

// ---------------------------------------------------------------------------
// Fixed inputs (the same credentials and tokens as presign.mjs).
const CREDS = {
  main: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
  alt: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
};
const TOKENS = {
  plain: "FQoGZXIvYXdzEXAMPLETOKEN",
  special: "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+ex/am+ple==",
};
const DATE_A = "2026-01-15T12:00:00Z";
const DATE_B = "2015-08-30T12:36:00Z";
const BUCKET = "examplebucket";
const TAGGING = "<Tagging><TagSet><Tag><Key>team</Key><Value>a&b</Value></Tag></TagSet></Tagging>";

// ---------------------------------------------------------------------------
// Case registry.
const specs = [];
const names = new Set();

// opts: bucket, key, conditions, fields, expires, region, creds, token,
// endpoint, forcePathStyle, date.
function post(name, opts) {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(name)) throw new Error(`bad case name ${name}`);
  if (names.has(name)) throw new Error(`duplicate case name ${name}`);
  names.add(name);
  specs.push({ name, opts });
}

// 1. Keys: plain, ${filename} at the end, in the middle, alone; unicode,
//    quotes, backslashes, HTML characters, JSON-escaped characters.
const KEYS = [
  ["plain", "uploads/photo.jpg"],
  ["filename-suffix", "uploads/${filename}"],
  ["filename-only", "${filename}"],
  ["filename-middle", "uploads/${filename}/original"],
  ["filename-twice", "a/${filename}/b/${filename}"],
  ["filename-unicode-prefix", "用户/Zoë/${filename}"],
  ["e-acute", "café/résumé.pdf"],
  ["japanese", "日本語/ファイル名.txt"],
  ["emoji", "emoji-😀-🚀.png"],
  ["double-quote", 'say "hello".txt'],
  ["backslash", "back\\slash\\${filename}"],
  ["html-chars", "<script>&amp;</script>.html"],
  ["line-separators", "a\u2028b\u2029c.txt"],
  ["control-chars", "tab\there\nnewline\u0001\u007f.txt"],
  ["spaces-plus", "my file+name=1.txt"],
  ["all-ascii-punctuation", " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"],
  ["long", `long/${"abcdefghij".repeat(40)}.bin`],
];
for (const [slug, key] of KEYS) {
  post(`key-${slug}`, { key });
  post(`key-${slug}-path-style-token`, { key, forcePathStyle: true, token: "special", region: "us-west-2", date: DATE_B });
}

// 2. Every condition type, on every kind of form field.
const CONDITIONS = [
  ["acl-exact", [{ acl: "public-read" }], { acl: "public-read" }],
  ["acl-eq", [["eq", "$acl", "bucket-owner-full-control"]], { acl: "bucket-owner-full-control" }],
  ["content-type-exact", [{ "Content-Type": "image/png" }], { "Content-Type": "image/png" }],
  ["content-type-starts-with", [["starts-with", "$Content-Type", "image/"]], { "Content-Type": "image/jpeg" }],
  ["content-type-any", [["starts-with", "$Content-Type", ""]], {}],
  ["cache-control", [["eq", "$Cache-Control", "max-age=31536000, immutable"]], { "Cache-Control": "max-age=31536000, immutable" }],
  ["content-disposition", [{ "Content-Disposition": 'attachment; filename="report \\"final\\".pdf"' }], { "Content-Disposition": 'attachment; filename="report \\"final\\".pdf"' }],
  ["content-encoding", [{ "Content-Encoding": "gzip" }], { "Content-Encoding": "gzip" }],
  ["expires-header", [["starts-with", "$Expires", "Thu, "]], { Expires: "Thu, 01 Dec 2030 16:00:00 GMT" }],
  ["success-action-status", [{ success_action_status: "201" }], { success_action_status: "201" }],
  ["success-action-redirect", [["starts-with", "$success_action_redirect", "https://example.com/done?"]], { success_action_redirect: "https://example.com/done?x=1&y=<2>" }],
  ["tagging", [{ tagging: TAGGING }], { tagging: TAGGING }],
  ["meta-exact", [{ "x-amz-meta-uuid": "14365123651274" }], { "x-amz-meta-uuid": "14365123651274" }],
  ["meta-starts-with-empty", [["starts-with", "$x-amz-meta-tag", ""]], { "x-amz-meta-tag": "" }],
  ["meta-unicode", [{ "x-amz-meta-author": "Zoë Ångström 日本 🚀" }], { "x-amz-meta-author": "Zoë Ångström 日本 🚀" }],
  ["sse-aes256", [{ "x-amz-server-side-encryption": "AES256" }], { "x-amz-server-side-encryption": "AES256" }],
  ["sse-kms", [{ "x-amz-server-side-encryption": "aws:kms" }, { "x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab" }], {
    "x-amz-server-side-encryption": "aws:kms",
    "x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  }],
  ["storage-class", [{ "x-amz-storage-class": "STANDARD_IA" }], { "x-amz-storage-class": "STANDARD_IA" }],
  ["checksum-sha256", [{ "x-amz-checksum-algorithm": "SHA256" }, { "x-amz-checksum-sha256": "2XkJPNyXVgVbNyHnr6QTsxWzqVzrQlPA5HGgy5M5C7w=" }], {
    "x-amz-checksum-algorithm": "SHA256",
    "x-amz-checksum-sha256": "2XkJPNyXVgVbNyHnr6QTsxWzqVzrQlPA5HGgy5M5C7w=",
  }],
  ["checksum-crc32", [["eq", "$x-amz-checksum-crc32", "DUoRhQ=="]], { "x-amz-checksum-crc32": "DUoRhQ==" }],
  ["content-length-range", [["content-length-range", 1, 10485760]], {}],
  ["content-length-range-zero", [["content-length-range", 0, 0]], {}],
  ["content-length-range-large", [["content-length-range", 1048576, 5368709120]], {}],
  ["ignore-field", [], { "x-ignore-note": "not checked" }],
  ["duplicate-conditions", [{ acl: "private" }, { acl: "private" }, ["starts-with", "$key", "uploads/"], ["starts-with", "$key", "uploads/"]], { acl: "private" }],
  ["condition-equals-field", [{ acl: "private" }], { acl: "private" }],
  ["condition-equals-bucket", [{ bucket: BUCKET }], {}],
  ["condition-equals-key", [{ key: "uploads/photo.jpg" }], {}],
  ["field-without-condition", [], { "Content-Type": "text/plain", "x-amz-meta-a": "1" }],
  ["numeric-field-name", [], { "x-amz-meta-z": "last", "42": "answer", "7": "seven" }],
  ["quotes-backslashes", [{ "x-amz-meta-q": "\"quoted\" and \\back\\" }, ["starts-with", "$x-amz-meta-p", "a\"b\\c"]], { "x-amz-meta-q": "\"quoted\" and \\back\\", "x-amz-meta-p": "a\"b\\c-d" }],
  ["html-in-values", [{ "x-amz-meta-html": "<b>bold</b> & 'single'" }], { "x-amz-meta-html": "<b>bold</b> & 'single'" }],
  ["control-chars-in-values", [{ "x-amz-meta-ctl": "line1\nline2\ttab\u0000nul\u001f" }], { "x-amz-meta-ctl": "line1\nline2\ttab\u0000nul\u001f" }],
  ["line-separator-in-values", [{ "x-amz-meta-ls": "a\u2028b\u2029c" }], { "x-amz-meta-ls": "a\u2028b\u2029c" }],
  ["everything", [
    { acl: "public-read" },
    ["starts-with", "$Content-Type", "image/"],
    ["content-length-range", 1, 10485760],
    ["starts-with", "$x-amz-meta-tag", ""],
    { success_action_status: "201" },
    ["eq", "$x-amz-storage-class", "STANDARD"],
  ], { acl: "public-read", "Content-Type": "image/png", "x-amz-meta-tag": "", success_action_status: "201", "x-amz-storage-class": "STANDARD" }],
];
for (const [slug, conditions, fields] of CONDITIONS) {
  post(`cond-${slug}`, { key: "uploads/${filename}", conditions, fields });
  post(`cond-${slug}-session-token-eu-central-1`, {
    key: "uploads/photo.jpg",
    conditions,
    fields,
    token: "plain",
    creds: "alt",
    region: "eu-central-1",
    date: DATE_B,
    expires: 600,
  });
}

// 3. Expiry and clocks.
for (const expires of [undefined, 1, 60, 900, 86400, 604800]) {
  const e = expires === undefined ? "default" : String(expires);
  post(`expires-${e}`, { key: "expiry/test.txt", expires });
}
post("clock-milliseconds", { key: "clock/ms.txt", date: "2026-01-15T12:00:00.750Z", expires: 60 });
post("clock-before-midnight", { key: "clock/midnight.txt", date: "2026-12-31T23:59:59Z", expires: 1 });
post("clock-leap-day", { key: "clock/leap.txt", date: "2024-02-29T12:00:00Z", expires: 43200 });

// 4. Regions, buckets and addressing.
for (const region of ["us-east-1", "us-west-2", "eu-central-1", "ap-southeast-2", "cn-north-1"]) {
  post(`region-${region}`, { key: "r/${filename}", region });
  post(`region-${region}-path-style`, { key: "r/${filename}", region, forcePathStyle: true });
}
for (const [slug, bucket] of [["dotted", "my.dotted.bucket"], ["dashes-digits", "bucket-with-dashes-123"], ["upper-case", "MyUpperCaseBucket"], ["underscore", "bucket_underscore"]]) {
  post(`bucket-${slug}`, { bucket, key: "b/${filename}" });
  post(`bucket-${slug}-path-style`, { bucket, key: "b/${filename}", forcePathStyle: true });
}

// 5. Custom endpoints.
const ENDPOINTS = [
  ["http-127-0-0-1-9000", "http://127.0.0.1:9000"],
  ["http-localhost-9000", "http://localhost:9000"],
  ["https-s3-example-com", "https://s3.example.com"],
  ["https-minio-internal-9443", "https://minio.internal:9443/"],
  ["https-base-path", "https://gateway.example.com/storage/s3"],
];
for (const [slug, endpoint] of ENDPOINTS) {
  post(`endpoint-${slug}`, { key: "e/${filename}", endpoint });
  post(`endpoint-${slug}-path-style-token`, { key: "e/${filename}", endpoint, forcePathStyle: true, token: "plain", region: "us-west-2" });
}

// 6. Credentials and tokens.
for (const token of ["plain", "special"]) {
  for (const creds of ["main", "alt"]) {
    post(`token-${token}-creds-${creds}`, { key: "t/${filename}", token, creds, conditions: [["content-length-range", 0, 1024]] });
  }
}

// ---------------------------------------------------------------------------
// Running.
const noNetwork = {
  handle: async () => {
    throw new Error("conformance generator attempted network access");
  },
};

async function run({ name, opts }) {
  const bucket = opts.bucket ?? BUCKET;
  const input = { bucket, key: opts.key };
  if (opts.conditions) input.conditions = JSON.parse(JSON.stringify(opts.conditions));
  if (opts.fields) input.fields = JSON.parse(JSON.stringify(opts.fields));
  if (opts.expires !== undefined) input.expires = opts.expires;
  input.region = opts.region ?? "us-east-1";
  input.credentials = { ...CREDS[opts.creds ?? "main"] };
  if (opts.token) input.credentials.sessionToken = TOKENS[opts.token];
  if (opts.endpoint) input.endpoint = opts.endpoint;
  if (opts.forcePathStyle) input.forcePathStyle = true;
  input.signingDate = opts.date ?? DATE_A;

  const client = new S3Client({
    region: input.region,
    // A copy: the SDK adds bookkeeping ($source) to the object it is given.
    credentials: { ...input.credentials },
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    forcePathStyle: !!opts.forcePathStyle,
    useDualstackEndpoint: false,
    useAccelerateEndpoint: false,
    useFipsEndpoint: false,
    useArnRegion: false,
    disableMultiregionAccessPoints: false,
    followRegionRedirects: false,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    defaultsMode: "legacy",
    maxAttempts: 1,
    requestHandler: noNetwork,
  });
  const params = { Bucket: bucket, Key: opts.key };
  if (opts.conditions) params.Conditions = JSON.parse(JSON.stringify(opts.conditions));
  if (opts.fields) params.Fields = JSON.parse(JSON.stringify(opts.fields));
  if (opts.expires !== undefined) params.Expires = opts.expires;

  // createPresignedPost reads the clock once, as Date.now(), for both
  // X-Amz-Date and the expiration. Pin it for the duration of the call.
  const fixed = new Date(input.signingDate).valueOf();
  if (Number.isNaN(fixed)) throw new Error(`${name}: bad signingDate`);
  const realNow = Date.now;
  let output;
  try {
    Date.now = () => fixed;
    const { url, fields } = await createPresignedPost(client, params);
    Date.now = realNow;
    const policyDocument = Buffer.from(fields.Policy, "base64").toString("utf8");
    output = { url, fields, policyDocument };
  } catch (e) {
    Date.now = realNow;
    output = { error: e instanceof Error ? e.message : String(e) };
  } finally {
    Date.now = realNow;
    client.destroy();
  }
  return { name, input, output };
}

async function main() {
  const outFile = process.argv[2];
  if (!outFile) {
    console.error("usage: node post.mjs OUTFILE");
    process.exit(2);
  }
  const cases = [];
  for (const spec of specs) cases.push(await run(spec));
  const doc = {
    generator: GENERATOR,
    sdk: {
      "@aws-sdk/s3-presigned-post": versionOf(postPkgDir + "/package.json"),
      "@aws-sdk/client-s3": versionOf(dirname(requireFromPost.resolve("@aws-sdk/client-s3/package.json")) + "/package.json"),
    },
    cases,
  };
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, JSON.stringify(doc, null, 2) + "\n");
  const errors = cases.filter((c) => c.output.error).length;
  console.error(`wrote ${cases.length} cases (${errors} errors) to ${outFile}`);
}

await main();
