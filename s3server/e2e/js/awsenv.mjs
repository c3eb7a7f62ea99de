// The AWS SDK for JavaScript v3 with no configuration in code: the S3
// client takes its endpoint, credentials and region from the environment
// (AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_REGION), as "presign serve" prints them. Driven by e2e/serve's
// TestAWSToolsWithServeEnv: puts argv[2] at s3://argv[3]/argv[4] from
// standard input, reads it back and lists the bucket, and prints
// {"listed": [...], "body": "..."}.
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";

const [bucket, key] = process.argv.slice(2);
const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const body = Buffer.concat(chunks);

const s3 = new S3Client({});
await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: "text/plain" }));
const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
process.stdout.write(JSON.stringify({
  listed: (listed.Contents ?? []).map((o) => o.Key),
  body: await got.Body.transformToString(),
}) + "\n");
