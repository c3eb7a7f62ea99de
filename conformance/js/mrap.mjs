// Known-answer vector generator for presigned URLs of S3 Multi-Region
// Access Points: runs the real AWS SDK for JavaScript v3 presigner
// (getSignedUrl of @aws-sdk/s3-request-presigner, an S3Client, a Multi-Region
// Access Point ARN as the Bucket), which presigns them with SigV4a through
// the AWS Common Runtime (@aws-sdk/signature-v4-crt), and writes what it
// produced.
//
//   node mrap.mjs OUTFILE
//
// Everything is deterministic (fixed credentials and signing dates, no
// clock, no network) except the CRT's ECDSA signature, which is randomised:
// every X-Amz-Signature differs from one run to the next, and
// conformance/check.sh compares every other byte. See README.md.

import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

for (const k of Object.keys(process.env)) {
  if (k.startsWith("AWS_")) delete process.env[k];
}
process.env.AWS_CONFIG_FILE = "/dev/null";
process.env.AWS_SHARED_CREDENTIALS_FILE = "/dev/null";
process.env.AWS_EC2_METADATA_DISABLED = "true";

// Registers the CRT signer (signatureV4CrtContainer) with the multi-region
// signer the S3 client uses: getSignedUrl presigns SigV4a with it.
await import("@aws-sdk/signature-v4-crt");
const S3 = await import("@aws-sdk/client-s3");
const Presigner = await import("@aws-sdk/s3-request-presigner");
const { signatureV4CrtContainer } = await import("@aws-sdk/signature-v4-multi-region");
const { getSignedUrl, S3RequestPresigner } = Presigner;

if (typeof signatureV4CrtContainer.CrtSignerV4 !== "function") {
  throw new Error("the CRT signer is not registered with @aws-sdk/signature-v4-multi-region");
}

const GENERATOR = "conformance/js/mrap.mjs";

function installedVersion(pkg) {
  const url = new URL(`./node_modules/${pkg}/package.json`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")).version;
}

// Capture the request getSignedUrl presigns, and check it went through the
// CRT signer.
let captured = [];
{
  const original = S3RequestPresigner.prototype.presign;
  S3RequestPresigner.prototype.presign = async function (...args) {
    const presigned = await original.apply(this, args);
    captured.push({ presigned, signer: this.signer.sigv4aSigner });
    return presigned;
  };
}

// ---------------------------------------------------------------------------
// Fixed inputs.
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
const DATE_C = "2024-02-29T23:59:59Z";
const MRAP = "arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap";
const MRAP_B = "arn:aws:s3::111122223333:accesspoint/abcdef0123456.mrap";
const PAYLOAD = Buffer.from("Hello, presigned world!\n", "utf8");
const MD5 = createHash("md5").update(PAYLOAD).digest("base64");
const SHA256 = createHash("sha256").update(PAYLOAD).digest("base64");
const SSEC_KEY = "0123456789abcdefghijklmnopqrstuv";
const UPLOAD_ID = "VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA";
const UPLOAD_ID_ODD = "2~iCw_lDY8VoNNcbXfsuqDQ0hgl.3nAgpxWkUMyTZm-E+s/1=";
const VERSION_ID = "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo";

// ---------------------------------------------------------------------------
// Cases.
const specs = [];
const names = new Set();
// opts: region, creds, token, date, expiresIn, signable.
function command(name, operation, params, opts = {}) {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(name)) throw new Error(`bad case name ${name}`);
  if (names.has(name)) throw new Error(`duplicate case name ${name}`);
  names.add(name);
  specs.push({ name, operation, params, opts });
}
function slug(s) {
  return s
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

// 1. Every operation, minimal parameters, in three contexts.
const MINIMAL = {
  GetObject: { Bucket: MRAP, Key: "object.txt" },
  HeadObject: { Bucket: MRAP, Key: "object.txt" },
  PutObject: { Bucket: MRAP, Key: "object.txt" },
  DeleteObject: { Bucket: MRAP, Key: "object.txt" },
  CreateMultipartUpload: { Bucket: MRAP, Key: "big/object.bin" },
  UploadPart: { Bucket: MRAP, Key: "big/object.bin", UploadId: UPLOAD_ID, PartNumber: 1 },
  CompleteMultipartUpload: { Bucket: MRAP, Key: "big/object.bin", UploadId: UPLOAD_ID },
  AbortMultipartUpload: { Bucket: MRAP, Key: "big/object.bin", UploadId: UPLOAD_ID },
  ListParts: { Bucket: MRAP, Key: "big/object.bin", UploadId: UPLOAD_ID },
};
for (const [op, params] of Object.entries(MINIMAL)) {
  command(`${slug(op)}-minimal`, op, params);
  command(`${slug(op)}-minimal-eu-west-1-session-token`, op, params, { region: "eu-west-1", creds: "alt", token: "special", date: DATE_B, expiresIn: 3600 });
  command(`${slug(op)}-minimal-ap-southeast-2-other-mrap`, op, { ...params, Bucket: MRAP_B }, { region: "ap-southeast-2", date: DATE_C, expiresIn: 60 });
}

// 2. Keys that stress path encoding.
const KEYS = [
  ["nested", "deep/nested/path/to/object.txt"],
  ["mixed-case", "UPPER/Mixed/Case.TXT"],
  ["spaces", "my file with spaces.txt"],
  ["e-acute", "café/résumé naïve.txt"],
  ["e-acute-decomposed", "cafe\u0301.txt"],
  ["japanese", "日本語/ファイル名.txt"],
  ["emoji", "emoji-😀-🚀.png"],
  ["plus-equals", "a+b=c.txt"],
  ["question", "what?.txt"],
  ["hash", "hash#tag.txt"],
  ["percent", "100%.txt"],
  ["percent-encoded", "already%20encoded%2Fslash"],
  ["tilde-star", "tilde~star*.txt"],
  ["ampersand-apostrophe", "amp&it's.txt"],
  ["parens-bang", "(parens)!.txt"],
  ["double-slash", "double//slash.txt"],
  ["trailing-slash", "folder/"],
  ["dot-segments", "a/./b/../c.txt"],
  ["sub-delims", "semi;colon:colon@at$dollar,comma"],
  ["brackets-quotes", 'brackets[1]{2}"quote"<lt>'],
  ["caret-pipe-backtick-backslash", "caret^pipe|backtick`back\\slash"],
  ["unreserved", "-_.~AZaz09"],
  ["long", `long/${"abcdefghij".repeat(30)}.bin`],
];
for (const [kslug, key] of KEYS) {
  command(`key-${kslug}-get`, "GetObject", { Bucket: MRAP, Key: key });
  command(`key-${kslug}-put-session-token`, "PutObject", { Bucket: MRAP, Key: key }, { token: "plain", date: DATE_B, region: "us-west-2" });
}

// 3. Operation parameters.
const PARAMS = {
  GetObject: [
    ["version-id", { VersionId: VERSION_ID }],
    ["part-number", { PartNumber: 2 }],
    ["response-content-type", { ResponseContentType: "application/json; charset=utf-8" }],
    ["response-content-disposition-unicode", { ResponseContentDisposition: 'attachment; filename="日本語 📄.txt"' }],
    ["response-cache-control", { ResponseCacheControl: "no-cache, max-age=0" }],
    ["response-expires", { ResponseExpires: "2026-02-01T00:00:00Z" }],
    ["range", { Range: "bytes=0-1023" }],
    ["if-match", { IfMatch: '"9b2cf535f27731c974343645a3985328"' }],
    ["checksum-mode", { ChecksumMode: "ENABLED" }],
    ["request-payer", { RequestPayer: "requester" }],
    ["expected-bucket-owner", { ExpectedBucketOwner: "123456789012" }],
    ["sse-c", { SSECustomerAlgorithm: "AES256", SSECustomerKey: SSEC_KEY }],
  ],
  HeadObject: [
    ["version-id", { VersionId: VERSION_ID }],
    ["if-none-match", { IfNoneMatch: '"9b2cf535f27731c974343645a3985328"' }],
    ["range", { Range: "bytes=100-" }],
  ],
  PutObject: [
    ["content-type", { ContentType: "image/jpeg" }],
    ["content-length", { ContentLength: PAYLOAD.length }],
    ["content-md5", { ContentMD5: MD5 }],
    ["cache-control", { CacheControl: "max-age=31536000, immutable" }],
    ["content-disposition", { ContentDisposition: 'attachment; filename="report.pdf"' }],
    ["metadata", { Metadata: { foo: "bar", "Upper-Case-Key": "Value", author: "Zoë Ångström" } }],
    ["acl", { ACL: "bucket-owner-full-control" }],
    ["storage-class", { StorageClass: "INTELLIGENT_TIERING" }],
    ["tagging", { Tagging: "project=presign&env=test run" }],
    ["sse-aes256", { ServerSideEncryption: "AES256" }],
    ["sse-kms", { ServerSideEncryption: "aws:kms", SSEKMSKeyId: "alias/my-key" }],
    ["sse-c", { SSECustomerAlgorithm: "AES256", SSECustomerKey: SSEC_KEY }],
    ["checksum-sha256", { ChecksumSHA256: SHA256 }],
    ["if-none-match-star", { IfNoneMatch: "*" }],
  ],
  DeleteObject: [
    ["version-id", { VersionId: VERSION_ID }],
    ["mfa", { MFA: "arn:aws:iam::123456789012:mfa/user 123456" }],
    ["bypass-governance", { VersionId: VERSION_ID, BypassGovernanceRetention: true }],
  ],
  UploadPart: [
    ["content-md5-length", { ContentMD5: MD5, ContentLength: 5242880 }],
    ["odd-upload-id-part-10000", { UploadId: UPLOAD_ID_ODD, PartNumber: 10000 }],
    ["checksum-sha256", { ChecksumSHA256: SHA256 }],
  ],
  CreateMultipartUpload: [
    ["content-type-metadata", { ContentType: "application/zip", Metadata: { origin: "web" } }],
    ["checksum-algorithm", { ChecksumAlgorithm: "SHA256" }],
    ["sse-kms", { ServerSideEncryption: "aws:kms", SSEKMSKeyId: "alias/big" }],
  ],
  ListParts: [["max-parts-marker", { MaxParts: 100, PartNumberMarker: "2" }]],
  CompleteMultipartUpload: [["odd-upload-id", { UploadId: UPLOAD_ID_ODD }]],
};
for (const [op, list] of Object.entries(PARAMS)) {
  for (const [pslug, extra] of list) {
    command(`${slug(op)}-${pslug}`, op, { ...MINIMAL[op], ...extra });
  }
}

// 4. Expiries and signing dates.
for (const expiresIn of [undefined, 1, 60, 3600, 604800]) {
  for (const [dslug, date] of [["2026", DATE_A], ["2015", DATE_B]]) {
    const e = expiresIn === undefined ? "default" : String(expiresIn);
    command(`expires-${e}-${dslug}-get-object`, "GetObject", { Bucket: MRAP, Key: "expiry/test.txt" }, { expiresIn, date });
  }
}
command("expires-604801-error", "GetObject", { Bucket: MRAP, Key: "k" }, { expiresIn: 604801 });

// 5. Session tokens, regions of the client (none matters: "*" is signed).
for (const [tslug, token] of [["plain", "plain"], ["special", "special"]]) {
  for (const op of ["GetObject", "PutObject", "UploadPart"]) {
    command(`session-token-${tslug}-${slug(op)}`, op, MINIMAL[op], { token, creds: "alt", region: "sa-east-1" });
  }
}

// 6. A header made signable (the CRT then signs it).
command("signable-content-type-put-object", "PutObject", { ...MINIMAL.PutObject, ContentType: "text/plain" }, { signable: ["content-type"] });
command("signable-content-type-create-multipart-upload", "CreateMultipartUpload", { ...MINIMAL.CreateMultipartUpload, ContentType: "video/mp4" }, {
  signable: ["content-type"],
  token: "special",
});

// ---------------------------------------------------------------------------
// Running.
const noNetwork = {
  handle: async () => {
    throw new Error("conformance generator attempted network access");
  },
};

function sortedHeaders(headers, drop = []) {
  const out = {};
  for (const k of Object.keys(headers).sort()) {
    if (!drop.includes(k)) out[k] = headers[k];
  }
  return out;
}

async function run(spec) {
  const { name, operation, params, opts } = spec;
  const credentials = { ...CREDS[opts.creds ?? "main"] };
  if (opts.token) credentials.sessionToken = TOKENS[opts.token];
  const input = { kind: "command", operation, params: JSON.parse(JSON.stringify(params)) };
  input.region = opts.region ?? "us-east-1";
  input.credentials = { ...credentials };
  input.signingDate = opts.date ?? DATE_A;
  if (opts.expiresIn !== undefined) input.expiresIn = opts.expiresIn;
  if (opts.signable) input.signableHeaders = [...opts.signable];

  const client = new S3.S3Client({
    region: input.region,
    credentials: { ...credentials },
    forcePathStyle: false,
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
    retryMode: "standard",
    requestHandler: noNetwork,
  });
  const sdkParams = JSON.parse(JSON.stringify(params));
  if (sdkParams.ResponseExpires !== undefined) sdkParams.ResponseExpires = new Date(sdkParams.ResponseExpires);
  const o = { signingDate: new Date(input.signingDate) };
  if (opts.expiresIn !== undefined) o.expiresIn = opts.expiresIn;
  if (opts.signable) o.signableHeaders = new Set(opts.signable);

  captured = [];
  let output;
  try {
    const url = await getSignedUrl(client, new S3[`${operation}Command`](sdkParams), o);
    if (captured.length !== 1) throw new Error(`${name}: expected one presign call, saw ${captured.length}`);
    const { presigned, signer } = captured[0];
    if (!(signer instanceof signatureV4CrtContainer.CrtSignerV4)) throw new Error(`${name}: not presigned by the CRT`);
    if (!url.includes("X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256")) throw new Error(`${name}: not SigV4a: ${url}`);
    // user-agent: machine-dependent and never signed; left out as in presign.mjs.
    output = { method: presigned.method, url, headers: sortedHeaders(presigned.headers, ["user-agent"]) };
  } catch (e) {
    output = { error: e instanceof Error ? e.message : String(e) };
  } finally {
    client.destroy();
  }
  return { name, input, output };
}

async function main() {
  const outFile = process.argv[2];
  if (!outFile) {
    console.error("usage: node mrap.mjs OUTFILE");
    process.exit(2);
  }
  const cases = [];
  for (const spec of specs) cases.push(await run(spec));
  const doc = {
    generator: GENERATOR,
    sdk: {
      "@aws-sdk/client-s3": installedVersion("@aws-sdk/client-s3"),
      "@aws-sdk/s3-request-presigner": installedVersion("@aws-sdk/s3-request-presigner"),
      "@aws-sdk/signature-v4-crt": installedVersion("@aws-sdk/signature-v4-crt"),
      "aws-crt": installedVersion("aws-crt"),
    },
    cases,
  };
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, JSON.stringify(doc, null, 2) + "\n");
  const errors = cases.filter((c) => c.output.error).length;
  console.error(`wrote ${cases.length} cases (${errors} errors) to ${outFile}`);
}

await main();
