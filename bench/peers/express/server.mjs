// The Express peer of presign serve's load run: the tutorial's endpoint
// (Express + @aws-sdk/client-s3's PutObjectCommand + getSignedUrl from
// @aws-sdk/s3-request-presigner, a uuid in the key), adapted only so that it
// does the same work as POST /v1/uploads: the same JSON in and out, a bearer
// API key checked by its SHA-256, the request validated, and Content-Type
// and Content-Length signed into the PUT URL.
//
//   API_KEY=psk_... PORT=8081 node server.mjs
//
// Environment: API_KEY (required), PORT (default 8081), ADDR (default
// 127.0.0.1; it listens nowhere else), STORE_URL (default
// http://127.0.0.1:9000), BUCKET (default uploads), AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY (static; defaults are AWS's documentation keys).
// It never calls the network: the credentials and region are static and
// the endpoint is given, so presigning is local.
import crypto from 'node:crypto';
import express from 'express';
import { S3Client, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { v4 as uuidv4 } from 'uuid';

const apiKey = process.env.API_KEY;
if (!apiKey) {
  console.error('express peer: set API_KEY');
  process.exit(2);
}
const keyHash = crypto.createHash('sha256').update(apiKey).digest();
const bucket = process.env.BUCKET || 'uploads';
const expiresIn = 900; // 15 minutes, as presign's default upload expiry

const s3Client = new S3Client({
  region: 'us-east-1',
  endpoint: process.env.STORE_URL || 'http://127.0.0.1:9000',
  forcePathStyle: true,
  credentials: {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID || 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY || 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  },
  // No checksum of a body the signer never sees (the SDK would otherwise
  // sign the CRC32 of an empty body into the URL).
  requestChecksumCalculation: 'WHEN_REQUIRED',
});

const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.use(express.json({ limit: '64kb' }));

function fail(res, status, code, message) {
  res.status(status).set('Cache-Control', 'no-store').json({ error: { code, message } });
}

// authorized checks the bearer key in constant time against its hash.
function authorized(req) {
  const auth = req.get('authorization') || '';
  if (!auth.startsWith('Bearer ')) return false;
  const h = crypto.createHash('sha256').update(auth.slice(7).trim()).digest();
  return crypto.timingSafeEqual(h, keyHash);
}

// safeName keeps the last path element of a file name, without control
// characters.
function safeName(name) {
  const base = name.split(/[\\/]/).pop().replace(/[\x00-\x1f\x7f]/g, '').trim();
  return base === '.' || base === '..' ? '' : base.slice(0, 255);
}

app.post('/v1/uploads', async (req, res) => {
  if (!authorized(req)) {
    res.set('WWW-Authenticate', 'Bearer realm="presign"');
    return fail(res, 401, 'unauthorized', 'the API key is not valid');
  }
  const { filename, contentType, size } = req.body || {};
  if (typeof filename !== 'string' || safeName(filename) === '') return fail(res, 400, 'invalid_field', 'filename is required');
  if (typeof contentType !== 'string' || !/^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/.test(contentType)) return fail(res, 400, 'invalid_field', 'contentType is not a media type');
  if (!Number.isSafeInteger(size) || size < 0 || size > 5 * 1024 ** 4) return fail(res, 400, 'invalid_field', 'size is not a valid size');

  // Generate unique key to prevent overwrites (the tutorial's line).
  const key = `local/${uuidv4()}/${safeName(filename)}`;
  const command = new PutObjectCommand({
    Bucket: bucket,
    Key: key,
    ContentType: contentType,
    ContentLength: size,
  });
  try {
    const now = Date.now();
    const url = await getSignedUrl(s3Client, command, {
      expiresIn,
      signableHeaders: new Set(['content-type', 'content-length']),
    });
    res.set('Cache-Control', 'no-store').json({
      key,
      method: 'PUT',
      url,
      headers: { 'Content-Length': String(size), 'Content-Type': contentType },
      expiresAt: new Date(now + expiresIn * 1000).toISOString(),
      expiresIn,
    });
  } catch (error) {
    fail(res, 500, 'presign_failed', 'Failed to generate upload URL');
  }
});

const port = Number(process.env.PORT || 8081);
const server = app.listen(port, process.env.ADDR || '127.0.0.1', () => {
  console.log(`express peer listening on http://${server.address().address}:${server.address().port}`);
});
server.keepAliveTimeout = 120_000;
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
