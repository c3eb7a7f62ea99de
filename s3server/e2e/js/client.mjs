// The AWS SDK for JavaScript v3 (@aws-sdk/client-s3 and lib-storage's
// Upload), with its DEFAULT checksum settings, against the embedded S3
// server: every call a real application makes, each checked. Run by
// TestJSClient in s3server/e2e; it exits non-zero at the first failure.
//
//   node client.mjs SPEC_JSON
//
// SPEC_JSON: {"endpoint","region","bucket","accessKeyId","secretAccessKey"}.
// It prints one JSON line on success: what each request sent that the
// checksum defaults decide (x-amz-content-sha256, content-encoding,
// x-amz-trailer, x-amz-checksum-* and x-amz-sdk-checksum-algorithm).

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";

// Isolate the SDK from the environment before it is loaded: no shared
// config, no credentials or settings but the ones given here.
for (const k of Object.keys(process.env)) {
  if (k.startsWith("AWS_")) delete process.env[k];
}
process.env.AWS_CONFIG_FILE = "/dev/null";
process.env.AWS_SHARED_CREDENTIALS_FILE = "/dev/null";
process.env.AWS_EC2_METADATA_DISABLED = "true";

const s3 = await import("@aws-sdk/client-s3");
const { Upload } = await import("@aws-sdk/lib-storage");
const {
  S3Client, CreateBucketCommand, HeadBucketCommand, PutObjectCommand, GetObjectCommand,
  HeadObjectCommand, CopyObjectCommand, ListObjectsV2Command, paginateListObjectsV2,
  CreateMultipartUploadCommand, UploadPartCommand, CompleteMultipartUploadCommand,
  ListPartsCommand, AbortMultipartUploadCommand, DeleteObjectCommand, DeleteObjectsCommand,
  DeleteBucketCommand, NoSuchKey,
} = s3;

const spec = JSON.parse(process.argv[2]);
const Bucket = spec.bucket;

// Default settings: requestChecksumCalculation and
// responseChecksumValidation are left as the SDK sets them
// (WHEN_SUPPORTED); only path-style addressing is asked for, since the
// server is on an IP address.
const client = new S3Client({
  region: spec.region,
  endpoint: spec.endpoint,
  forcePathStyle: true,
  credentials: { accessKeyId: spec.accessKeyId, secretAccessKey: spec.secretAccessKey },
  maxAttempts: 1,
});

// Record what each request sent, once signed.
const sent = [];
client.middlewareStack.add(
  (next, context) => async (args) => {
    const h = args.request.headers;
    const rec = { op: context.commandName };
    for (const [name, value] of Object.entries(h)) {
      const n = name.toLowerCase();
      if (n === "x-amz-content-sha256") rec.contentSha256 = value.length === 64 ? "sha256" : value;
      if (n === "content-encoding") rec.contentEncoding = value;
      if (n === "x-amz-trailer") rec.trailer = value;
      if (n === "x-amz-sdk-checksum-algorithm") rec.sdkChecksumAlgorithm = value;
      if (n.startsWith("x-amz-checksum-") && n !== "x-amz-checksum-mode") rec.checksumHeader = n;
      if (n === "x-amz-checksum-mode") rec.checksumMode = value;
    }
    sent.push(rec);
    return next(args);
  },
  { step: "deserialize", name: "e2eRecorder", priority: "low" },
);

const sha256 = (b) => createHash("sha256").update(b).digest("hex");

// bytes returns n deterministic bytes, different for each seed.
function bytes(n, seed) {
  const b = Buffer.alloc(n);
  let x = seed * 2654435761 >>> 0 || 1;
  for (let i = 0; i < n; i += 4) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    b.writeUInt32LE(x, i <= n - 4 ? i : n - 4);
  }
  return b;
}

// stream returns buf as a Readable of chunks of odd sizes, so that the SDK
// cannot know its length but from ContentLength.
function stream(buf, chunk = 65_537) {
  return Readable.from((function* () {
    for (let i = 0; i < buf.length; i += chunk) yield buf.subarray(i, i + chunk);
  })(), { objectMode: false });
}

async function getBytes(Key, extra = {}) {
  const out = await client.send(new GetObjectCommand({ Bucket, Key, ...extra }));
  return { out, body: Buffer.from(await out.Body.transformToByteArray()) };
}

// 1. Buckets.
await client.send(new CreateBucketCommand({ Bucket }));
await client.send(new HeadBucketCommand({ Bucket }));

// 2. PutObject with a string body: a checksum header of the SDK's choosing.
const text = "hello from @aws-sdk/client-s3 — ünïcødé\n";
const put1 = await client.send(new PutObjectCommand({
  Bucket, Key: "js/string.txt", Body: text, ContentType: "text/plain; charset=utf-8",
  Metadata: { origin: "js-sdk" },
}));
assert.match(put1.ETag, /^"[0-9a-f]{32}"$/);
assert.equal(put1.ETag, `"${createHash("md5").update(text).digest("hex")}"`);

// 3. PutObject with a stream body: aws-chunked with a trailing checksum.
const streamed = bytes(3 * 1024 * 1024 + 17, 1);
const put2 = await client.send(new PutObjectCommand({
  Bucket, Key: "js/stream.bin", Body: stream(streamed), ContentLength: streamed.length,
}));
assert.equal(put2.ETag, `"${createHash("md5").update(streamed).digest("hex")}"`);

// 4. GetObject (the SDK asks for and validates the checksum), ranges, HeadObject.
{
  const { out, body } = await getBytes("js/string.txt");
  assert.equal(body.toString("utf8"), text);
  assert.equal(out.ContentType, "text/plain; charset=utf-8");
  assert.deepEqual(out.Metadata, { origin: "js-sdk" });
  const s = await getBytes("js/stream.bin");
  assert.equal(sha256(s.body), sha256(streamed));
  assert.ok(s.out.ChecksumCRC32 || s.out.ChecksumCRC64NVME, "GetObject returned no checksum");
  const r = await getBytes("js/stream.bin", { Range: "bytes=1000-1999" });
  assert.equal(r.out.ContentRange, `bytes 1000-1999/${streamed.length}`);
  assert.ok(r.body.equals(streamed.subarray(1000, 2000)));
  const head = await client.send(new HeadObjectCommand({ Bucket, Key: "js/stream.bin" }));
  assert.equal(head.ContentLength, streamed.length);
  assert.equal(head.ETag, put2.ETag);
}

// 5. CopyObject.
{
  const c = await client.send(new CopyObjectCommand({ Bucket, Key: "js/copy.txt", CopySource: `${Bucket}/js/string.txt` }));
  assert.equal(c.CopyObjectResult.ETag, put1.ETag);
  const { body } = await getBytes("js/copy.txt");
  assert.equal(body.toString("utf8"), text);
}

// 6. Multipart, by hand: two parts, with the SDK's default part checksums.
const mpData = bytes(5 * 1024 * 1024 + 1234, 2);
{
  const Key = "js/multipart-manual.bin";
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket, Key, ContentType: "application/octet-stream" }));
  const cut = 5 * 1024 * 1024;
  const p1 = await client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: mpData.subarray(0, cut) }));
  const p2 = await client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 2, Body: mpData.subarray(cut) }));
  const parts = await client.send(new ListPartsCommand({ Bucket, Key, UploadId }));
  assert.deepEqual(parts.Parts.map((p) => [p.PartNumber, p.ETag, p.Size]), [[1, p1.ETag, cut], [2, p2.ETag, mpData.length - cut]]);
  const done = await client.send(new CompleteMultipartUploadCommand({
    Bucket, Key, UploadId,
    MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag, ChecksumCRC32: p1.ChecksumCRC32 }, { PartNumber: 2, ETag: p2.ETag, ChecksumCRC32: p2.ChecksumCRC32 }] },
  }));
  assert.match(done.ETag, /^"[0-9a-f]{32}-2"$/);
  const { body } = await getBytes(Key);
  assert.equal(sha256(body), sha256(mpData));
  // An aborted upload is gone.
  const ab = await client.send(new CreateMultipartUploadCommand({ Bucket, Key: "js/aborted.bin" }));
  await client.send(new UploadPartCommand({ Bucket, Key: "js/aborted.bin", UploadId: ab.UploadId, PartNumber: 1, Body: "x" }));
  await client.send(new AbortMultipartUploadCommand({ Bucket, Key: "js/aborted.bin", UploadId: ab.UploadId }));
  await assert.rejects(client.send(new ListPartsCommand({ Bucket, Key: "js/aborted.bin", UploadId: ab.UploadId })), { name: "NoSuchUpload" });
}

// 7. lib-storage's Upload from a stream: 3 parts, 2 at a time, CRC32.
const upData = bytes(12 * 1024 * 1024 + 99, 3);
{
  const up = new Upload({ client, params: { Bucket, Key: "js/lib-storage.bin", Body: stream(upData, 1 << 20) }, partSize: 5 * 1024 * 1024, queueSize: 2 });
  const res = await up.done();
  assert.match(res.ETag, /^"[0-9a-f]{32}-3"$/);
  const { body } = await getBytes("js/lib-storage.bin");
  assert.equal(sha256(body), sha256(upData));
}

// 8. Listing: pages of two, and a delimiter.
const want = ["js/copy.txt", "js/lib-storage.bin", "js/multipart-manual.bin", "js/stream.bin", "js/string.txt"];
{
  const keys = [];
  let pages = 0;
  for await (const page of paginateListObjectsV2({ client, pageSize: 2 }, { Bucket, Prefix: "js/" })) {
    pages++;
    for (const o of page.Contents ?? []) keys.push(o.Key);
  }
  assert.deepEqual(keys, want);
  assert.equal(pages, 3);
  const d = await client.send(new ListObjectsV2Command({ Bucket, Delimiter: "/" }));
  assert.deepEqual((d.CommonPrefixes ?? []).map((p) => p.Prefix), ["js/"]);
  assert.equal(d.KeyCount, 1);
}

// 9. Deletes.
await client.send(new DeleteObjectCommand({ Bucket, Key: "js/copy.txt" }));
await assert.rejects(client.send(new GetObjectCommand({ Bucket, Key: "js/copy.txt" })), (e) => e instanceof NoSuchKey);
{
  const del = await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: want.slice(1).map((Key) => ({ Key })) } }));
  assert.deepEqual((del.Deleted ?? []).map((d) => d.Key).sort(), want.slice(1));
  assert.equal((del.Errors ?? []).length, 0);
  const l = await client.send(new ListObjectsV2Command({ Bucket }));
  assert.equal(l.KeyCount, 0);
}
await client.send(new DeleteBucketCommand({ Bucket }));
await assert.rejects(client.send(new HeadBucketCommand({ Bucket })), { name: "NotFound" });

console.log(JSON.stringify({ requests: sent }));
