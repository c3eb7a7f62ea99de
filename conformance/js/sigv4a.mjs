// Known-answer vector generator for SigV4a (AWS4-ECDSA-P256-SHA256) header
// signing: runs the real SignatureV4a signer of @smithy/signature-v4a (the
// pure-JavaScript SigV4a of the AWS SDK for JavaScript v3) on requests to
// S3 Multi-Region Access Points and writes what it produced.
//
//   node sigv4a.mjs OUTFILE
//
// The output is deterministic: fixed credentials and signing dates, and the
// signer's ECDSA is RFC 6979 (no extra entropy) with low-S normalisation.
// See README.md.

import { createECDH, createHash, createHmac, createPublicKey, verify as cryptoVerify } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

for (const k of Object.keys(process.env)) {
  if (k.startsWith("AWS_")) delete process.env[k];
}
process.env.AWS_CONFIG_FILE = "/dev/null";
process.env.AWS_SHARED_CREDENTIALS_FILE = "/dev/null";
process.env.AWS_EC2_METADATA_DISABLED = "true";

const { SignatureV4a } = await import("@smithy/signature-v4a");
const { HttpRequest, extendedEncodeURIComponent } = await import("@smithy/core/protocols");
const { Sha256 } = await import("@smithy/core/checksum");

const GENERATOR = "conformance/js/sigv4a.mjs";

function installedVersion(pkg) {
  const url = new URL(`./node_modules/${pkg}/package.json`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")).version;
}

// ---------------------------------------------------------------------------
// Fixed inputs.
const CREDS = {
  main: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
  alt: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
  third: { accessKeyId: "ASIAQV4AEXAMPLE3KEYS", secretAccessKey: "kX9+v4a/Secret=Key/With-Punctuation_0123456789" },
};
const TOKENS = {
  plain: "FQoGZXIvYXdzEXAMPLETOKEN",
  special: "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+ex/am+ple==",
};
// Context: credentials, session token (or none), signing date.
const CONTEXTS = [
  ["main-2026", { creds: "main", date: "2026-01-15T12:00:00Z" }],
  ["alt-token-2015", { creds: "alt", token: "special", date: "2015-08-30T12:36:00Z" }],
  ["third-2024-leap", { creds: "third", date: "2024-02-29T23:59:59Z" }],
  ["main-token-2026", { creds: "main", token: "plain", date: "2026-12-31T00:00:00Z" }],
];
const REGION_SETS = [
  ["all", "*"],
  ["us-east-1", "us-east-1"],
  ["us-east-1-eu-west-1", "us-east-1,eu-west-1"],
];
const HOSTS = ["mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com", "abcdef0123456.mrap.accesspoint.s3-global.amazonaws.com"];
const BODY = "Hello, SigV4a world!\n";
const VERSION_ID = "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo";
const UPLOAD_ID = "2~iCw_lDY8VoNNcbXfsuqDQ0hgl.3nAgpxWkUMyTZm-E+s/1=";

// ---------------------------------------------------------------------------
// Cases.
const specs = [];
const names = new Set();
// spec: name, method, host, key, query ([[name, value]]), headers, body,
// regionSet, context (key of CONTEXTS), applyChecksum.
function add(spec) {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(spec.name)) throw new Error(`bad case name ${spec.name}`);
  if (names.has(spec.name)) throw new Error(`duplicate case name ${spec.name}`);
  names.add(spec.name);
  specs.push(spec);
}

const KEYS = [
  ["plain", "object.txt"],
  ["nested", "deep/nested/path/to/object.txt"],
  ["spaces", "my file with spaces.txt"],
  ["e-acute", "café/résumé naïve.txt"],
  ["japanese", "日本語/ファイル名.txt"],
  ["emoji", "emoji-😀-🚀.png"],
  ["plus-equals-amp", "a+b=c&d.txt"],
  ["sub-delims", "semi;colon:colon@at$dollar,comma"],
  ["marks", "it's (a) star*!~tilde.txt"],
  ["percent-question-hash", "100%/what?#hash.txt"],
  ["double-slash-trailing", "double//slash/folder/"],
  ["brackets-quotes", 'brackets[1]{2}"quote"<lt>|pipe^`'],
];
const OPS = [
  ["get", "GET", {}],
  ["head", "HEAD", {}],
  ["delete", "DELETE", { query: [["versionId", VERSION_ID]] }],
  ["put", "PUT", { headers: { "content-type": "text/plain; charset=utf-8", "content-length": String(Buffer.byteLength(BODY)) }, body: BODY }],
];
KEYS.forEach(([kslug, key], i) => {
  OPS.forEach(([oslug, method, extra], j) => {
    const [rslug, regionSet] = REGION_SETS[(i + j) % REGION_SETS.length];
    const [cslug] = CONTEXTS[(i + 3 * j) % CONTEXTS.length];
    add({
      name: `${oslug}-${kslug}-${rslug}-${cslug}`,
      method,
      host: HOSTS[(i + j) % 2],
      key,
      query: extra.query ?? [],
      headers: extra.headers ?? {},
      body: extra.body,
      regionSet,
      context: cslug,
    });
  });
});

// Each region set with each context, one plain GET.
for (const [rslug, regionSet] of REGION_SETS) {
  for (const [cslug] of CONTEXTS) {
    add({ name: `matrix-get-${rslug}-${cslug}`, method: "GET", host: HOSTS[0], key: "matrix/object.bin", query: [], headers: {}, regionSet, context: cslug });
  }
}

// Operations with query parameters and headers of their own.
const MORE = [
  ["upload-part", "PUT", "big/vidéo file.mp4", [["partNumber", "7"], ["uploadId", UPLOAD_ID]], { "content-length": String(Buffer.byteLength(BODY)) }, BODY],
  ["create-multipart-upload", "POST", "big/archive.zip", [["uploads", ""]], { "content-type": "application/zip", "x-amz-meta-origin": "web" }],
  ["complete-multipart-upload", "POST", "big/archive.zip", [["uploadId", UPLOAD_ID]], { "content-type": "application/xml" }, "<CompleteMultipartUpload></CompleteMultipartUpload>"],
  ["abort-multipart-upload", "DELETE", "big/archive.zip", [["uploadId", UPLOAD_ID]], {}],
  ["list-parts", "GET", "big/archive.zip", [["max-parts", "100"], ["part-number-marker", "2"], ["uploadId", UPLOAD_ID]], {}],
  ["get-x-id-range", "GET", "report.csv", [["x-id", "GetObject"]], { range: "bytes=0-1023", "if-none-match": '"etag"' }],
  ["get-response-overrides", "GET", "report.pdf", [["response-content-disposition", 'attachment; filename="r é.pdf"'], ["response-content-type", "application/pdf"]], {}],
  ["get-query-special-chars", "GET", "k", [["weird key", "v+1=2&3"], ["ünï", "日本"], ["empty", ""]], {}],
  ["list-objects-v2", "GET", "", [["list-type", "2"], ["prefix", "a b/c"], ["delimiter", "/"]], {}],
  ["put-metadata-sse", "PUT", "uploads/a.bin", [["x-id", "PutObject"]], {
    "content-type": "application/octet-stream",
    "x-amz-meta-author": "Zoe",
    "x-amz-server-side-encryption": "aws:kms",
    "x-amz-server-side-encryption-aws-kms-key-id": "alias/uploads",
    "x-amz-storage-class": "STANDARD_IA",
    "x-amz-tagging": "a=b&c=d",
  }, BODY],
  ["put-header-whitespace", "PUT", "ws.txt", [], { "x-amz-meta-spaced": "  a   b\tc  ", "content-disposition": "  attachment;   filename=x  " }, BODY],
  ["put-mixed-case-header-names", "PUT", "mixed.txt", [], { "Content-Type": "text/plain", "X-Amz-Meta-Camel": "Value", "Content-MD5": createHash("md5").update(BODY).digest("base64") }, BODY],
  ["put-unsigned-payload", "PUT", "stream.bin", [], { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "content-length": "1048576" }],
  ["put-empty-body", "PUT", "empty.txt", [], { "content-length": "0" }, ""],
  ["get-unsignable-headers", "GET", "k", [], { "user-agent": "my-agent/1.0", "x-amzn-trace-id": "Root=1", "cache-control": "no-cache", "sec-fetch-mode": "cors", "proxy-authorization": "Basic x" }],
  ["delete-object-version-bypass", "DELETE", "locked/object.txt", [["versionId", VERSION_ID]], { "x-amz-bypass-governance-retention": "true", "x-amz-mfa": "arn:aws:iam::123456789012:mfa/user 123456" }],
];
MORE.forEach(([slug, method, key, query, headers, body], i) => {
  for (const [rslug, regionSet] of [REGION_SETS[i % 3], REGION_SETS[(i + 1) % 3]]) {
    const [cslug] = CONTEXTS[(i + rslug.length) % CONTEXTS.length];
    add({ name: `${slug}-${rslug}-${cslug}`, method, host: HOSTS[i % 2], key, query, headers, body, regionSet, context: cslug });
  }
});

// applyChecksum false: no x-amz-content-sha256 header, the payload hash is
// still the canonical request's last line.
add({ name: "no-checksum-header-get", method: "GET", host: HOSTS[0], key: "object.txt", query: [], headers: {}, regionSet: "*", context: "main-2026", applyChecksum: false });
add({ name: "no-checksum-header-put", method: "PUT", host: HOSTS[1], key: "up/ファイル.txt", query: [], headers: { "content-type": "text/plain" }, body: BODY, regionSet: "us-east-1,eu-west-1", context: "alt-token-2015", applyChecksum: false });
add({ name: "no-checksum-header-put-unsigned", method: "PUT", host: HOSTS[0], key: "stream.bin", query: [], headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, regionSet: "us-east-1", context: "third-2024-leap", applyChecksum: false });

// ---------------------------------------------------------------------------
// An independent RFC 6979 ECDSA P-256 signature, to learn whether the raw s
// was high (so that the SDK's low-S normalisation changed it) and to check
// the SDK's r.
const N = BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
const bytesToBig = (b) => BigInt("0x" + (Buffer.from(b).toString("hex") || "0"));
const bigToBytes = (v) => Buffer.from(v.toString(16).padStart(64, "0"), "hex");
function modPow(b, e, m) {
  let r = 1n;
  b %= m;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}
function pointOf(scalar) {
  const ecdh = createECDH("prime256v1");
  ecdh.setPrivateKey(bigToBytes(scalar));
  const p = ecdh.getPublicKey(); // 04 || X || Y
  return { x: p.subarray(1, 33), y: p.subarray(33, 65) };
}
function rfc6979(d, digest) {
  const hm = (key, ...parts) => createHmac("sha256", key).update(Buffer.concat(parts)).digest();
  const x = bigToBytes(d);
  const h = bigToBytes(bytesToBig(digest) % N);
  let V = Buffer.alloc(32, 1);
  let K = Buffer.alloc(32, 0);
  K = hm(K, V, Buffer.from([0]), x, h);
  V = hm(K, V);
  K = hm(K, V, Buffer.from([1]), x, h);
  V = hm(K, V);
  for (;;) {
    V = hm(K, V);
    const k = bytesToBig(V);
    if (k >= 1n && k < N) {
      const r = bytesToBig(pointOf(k).x) % N;
      const s = (modPow(k, N - 2n, N) * (bytesToBig(digest) + r * d)) % N;
      if (r !== 0n && s !== 0n) return { r, s };
    }
    K = hm(K, V, Buffer.from([0]));
    V = hm(K, V);
  }
}
function parseDER(hex) {
  const b = Buffer.from(hex, "hex");
  if (b[0] !== 0x30 || b[1] !== b.length - 2 || b[2] !== 0x02) throw new Error(`bad DER ${hex}`);
  const rl = b[3];
  const r = b.subarray(4, 4 + rl);
  if (b[4 + rl] !== 0x02) throw new Error(`bad DER ${hex}`);
  const s = b.subarray(6 + rl, 6 + rl + b[5 + rl]);
  return { r: bytesToBig(r), s: bytesToBig(s) };
}

// ---------------------------------------------------------------------------
// Running.
function wirePath(key) {
  return "/" + key.split("/").map(extendedEncodeURIComponent).join("/");
}

async function run(spec) {
  const ctx = Object.fromEntries(CONTEXTS)[spec.context];
  const credentials = { ...CREDS[ctx.creds] };
  if (ctx.token) credentials.sessionToken = TOKENS[ctx.token];
  const input = {
    method: spec.method,
    host: spec.host,
    key: spec.key,
    path: wirePath(spec.key),
    query: spec.query,
    headers: spec.headers,
  };
  if (spec.body !== undefined) input.body = spec.body;
  input.regionSet = spec.regionSet;
  input.credentials = { ...credentials };
  input.signingDate = ctx.date;
  if (spec.applyChecksum === false) input.applyChecksum = false;

  const signer = new SignatureV4a({
    credentials: { ...credentials },
    region: spec.regionSet,
    service: "s3",
    sha256: Sha256,
    uriEscapePath: false, // S3: the path is signed as sent, already escaped
    ...(spec.applyChecksum === false ? { applyChecksum: false } : {}),
  });
  // Capture what the signer computes on its way (instance overrides of
  // methods it calls through `this`).
  const seen = {};
  signer.createCanonicalRequest = function (...a) {
    return (seen.canonicalRequest = SignatureV4a.prototype.createCanonicalRequest.apply(this, a));
  };
  signer.createStringToSign = async function (...a) {
    return (seen.stringToSign = await SignatureV4a.prototype.createStringToSign.apply(this, a));
  };
  signer.getSignature = async function (privateKey, stringToSign) {
    seen.privateKey = Buffer.from(privateKey);
    return (seen.signature = await SignatureV4a.prototype.getSignature.call(this, privateKey, stringToSign));
  };

  const request = new HttpRequest({
    method: spec.method,
    protocol: "https:",
    hostname: spec.host,
    path: input.path,
    query: Object.fromEntries(spec.query),
    headers: { host: spec.host, ...spec.headers },
    ...(spec.body !== undefined ? { body: spec.body } : {}),
  });
  const signed = await signer.sign(request, { signingDate: new Date(ctx.date) });

  const authorization = signed.headers.authorization;
  const m = /, Signature=([0-9a-f]+)$/.exec(authorization);
  if (!m || m[1] !== seen.signature) throw new Error(`${spec.name}: cannot find the signature in ${authorization}`);
  const crLines = seen.canonicalRequest.split("\n");

  // Independent checks: the public key, the signature verifies (node's
  // OpenSSL), it is low-S, and its r is RFC 6979's.
  const d = bytesToBig(seen.privateKey);
  const pub = pointOf(d);
  const keyObject = createPublicKey({
    key: { kty: "EC", crv: "P-256", x: pub.x.toString("base64url"), y: pub.y.toString("base64url") },
    format: "jwk",
  });
  if (!cryptoVerify("sha256", Buffer.from(seen.stringToSign), { key: keyObject, dsaEncoding: "der" }, Buffer.from(seen.signature, "hex"))) {
    throw new Error(`${spec.name}: the SDK's signature does not verify`);
  }
  const { r, s } = parseDER(seen.signature);
  if (s > N / 2n) throw new Error(`${spec.name}: the SDK's signature is not low-S`);
  const raw = rfc6979(d, createHash("sha256").update(seen.stringToSign).digest());
  if (raw.r !== r || (raw.s !== s && N - raw.s !== s)) throw new Error(`${spec.name}: the SDK's signature is not RFC 6979's`);

  const headers = {};
  for (const k of Object.keys(signed.headers).sort()) headers[k] = signed.headers[k];
  return {
    name: spec.name,
    input,
    output: {
      headers,
      authorization,
      signature: seen.signature,
      regionSet: signed.headers["x-amz-region-set"],
      payloadHash: crLines[crLines.length - 1],
      canonicalRequest: seen.canonicalRequest,
      stringToSign: seen.stringToSign,
      publicKey: { x: pub.x.toString("hex"), y: pub.y.toString("hex") },
      rawHighS: raw.s !== s,
    },
  };
}

async function main() {
  const outFile = process.argv[2];
  if (!outFile) {
    console.error("usage: node sigv4a.mjs OUTFILE");
    process.exit(2);
  }
  const cases = [];
  for (const spec of specs) cases.push(await run(spec));
  const doc = {
    generator: GENERATOR,
    sdk: { "@smithy/signature-v4a": installedVersion("@smithy/signature-v4a"), "@smithy/signature-v4": installedVersion("@smithy/signature-v4") },
    cases,
  };
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, JSON.stringify(doc, null, 2) + "\n");
  const high = cases.filter((c) => c.output.rawHighS).length;
  console.error(`wrote ${cases.length} cases (${high} whose raw s was high) to ${outFile}`);
}

await main();
