"""boto3 (Debian's python3-boto3, under /usr/bin/python3) against the
embedded S3 server. Run by TestBoto3 and TestPresigned in s3server/e2e.

    /usr/bin/python3 boto3_e2e.py client SPEC_JSON WORKDIR
    /usr/bin/python3 boto3_e2e.py presign SPEC_JSON

SPEC_JSON: {"endpoint", "region", "bucket", "accessKeyId", "secretAccessKey"}
and, for presign, "wrongAccessKeyId", "wrongSecretAccessKey", "getKey",
"putKey", "postKey", "contentType".

client runs the calls an application makes (buckets, put/get/head/copy,
ranges, listing with pages, upload_file and download_file through
s3transfer's multipart, the multipart calls by hand, deletes), checks each
and exits non-zero at the first failure; on success it prints one JSON line.

presign prints the presigned URLs (generate_presigned_url) and POST forms
(generate_presigned_post) of botocore, per case name, as one JSON object.
"""

import datetime
import hashlib
import io
import json
import os
import sys
import types

# Isolate botocore from the environment before it is loaded.
for _k in list(os.environ):
    if _k.startswith('AWS_'):
        del os.environ[_k]
os.environ['AWS_CONFIG_FILE'] = '/dev/null'
os.environ['AWS_SHARED_CREDENTIALS_FILE'] = '/dev/null'
os.environ['AWS_EC2_METADATA_DISABLED'] = 'true'

import boto3  # noqa: E402
import botocore  # noqa: E402
import botocore.auth  # noqa: E402
import botocore.signers  # noqa: E402
from boto3.s3.transfer import TransferConfig  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

MiB = 1024 * 1024


def client_of(spec, key_id=None, secret=None, signature_version='s3v4'):
    """A client as an application builds it for a custom endpoint; s3v4,
    because botocore 1.29 presigns with SigV2 in us-east-1 otherwise."""
    cfg = {'s3': {'addressing_style': 'path'}, 'retries': {'max_attempts': 1}}
    if signature_version:
        cfg['signature_version'] = signature_version
    session = boto3.session.Session(
        aws_access_key_id=key_id or spec['accessKeyId'],
        aws_secret_access_key=secret or spec['secretAccessKey'],
        region_name=spec['region'],
    )
    return session.client('s3', endpoint_url=spec['endpoint'], config=Config(**cfg))


def data(n, seed):
    """n deterministic bytes, different for each seed."""
    out = bytearray()
    block = 0
    while len(out) < n:
        out += hashlib.sha256(b'%d/%d' % (seed, block)).digest() * 64
        block += 1
    return bytes(out[:n])


def sha(b):
    return hashlib.sha256(b).hexdigest()


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def error_code(fn):
    try:
        fn()
    except ClientError as e:
        return e.response['Error']['Code']
    raise AssertionError('no error')


def run_client(spec, work):
    s3 = client_of(spec)
    bucket = spec['bucket']
    md5 = lambda b: '"%s"' % hashlib.md5(b).hexdigest()  # noqa: E731

    s3.create_bucket(Bucket=bucket)
    s3.head_bucket(Bucket=bucket)
    check(bucket in [b['Name'] for b in s3.list_buckets()['Buckets']], 'list_buckets')

    # put/get/head, metadata, a range.
    body = 'hello from boto3 \u2014 \u00fcn\u00efc\u00f8d\u00e9\n'.encode()
    put = s3.put_object(Bucket=bucket, Key='py/hello.txt', Body=body, ContentType='text/plain',
                        Metadata={'origin': 'boto3'})
    check(put['ETag'] == md5(body), 'put_object ETag %s' % put['ETag'])
    got = s3.get_object(Bucket=bucket, Key='py/hello.txt')
    check(got['Body'].read() == body, 'get_object body')
    check(got['ContentType'] == 'text/plain', 'get_object ContentType')
    check(got['Metadata'] == {'origin': 'boto3'}, 'get_object Metadata %r' % got['Metadata'])
    rng = s3.get_object(Bucket=bucket, Key='py/hello.txt', Range='bytes=6-9')
    check(rng['Body'].read() == body[6:10] and rng['ContentRange'] == 'bytes 6-9/%d' % len(body), 'range')
    head = s3.head_object(Bucket=bucket, Key='py/hello.txt')
    check(head['ContentLength'] == len(body) and head['ETag'] == put['ETag'], 'head_object')
    check(error_code(lambda: s3.get_object(Bucket=bucket, Key='py/missing')) == 'NoSuchKey', 'NoSuchKey')
    check(error_code(lambda: s3.get_object(Bucket=bucket, Key='py/hello.txt', IfNoneMatch=put['ETag'])) == '304',
          'If-None-Match')

    # copy_object.
    cp = s3.copy_object(Bucket=bucket, Key='py/copy.txt', CopySource={'Bucket': bucket, 'Key': 'py/hello.txt'})
    check(cp['CopyObjectResult']['ETag'] == put['ETag'], 'copy_object ETag')

    # upload_file / download_file: s3transfer's multipart upload (3 parts,
    # 2 threads) and its ranged, concurrent download.
    big = data(12 * MiB + 5, 1)
    src = os.path.join(work, 'big.bin')
    dst = os.path.join(work, 'big.down')
    with open(src, 'wb') as f:
        f.write(big)
    tc = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=2)
    s3.upload_file(src, bucket, 'py/big.bin', Config=tc)
    head = s3.head_object(Bucket=bucket, Key='py/big.bin')
    check(head['ContentLength'] == len(big) and head['ETag'].endswith('-3"'), 'multipart head %r' % head['ETag'])
    s3.download_file(bucket, 'py/big.bin', dst, Config=tc)
    with open(dst, 'rb') as f:
        check(sha(f.read()) == sha(big), 'download_file bytes')
    # upload_fileobj from memory, below the threshold: one put_object.
    s3.upload_fileobj(io.BytesIO(big[:MiB]), bucket, 'py/fileobj.bin', Config=tc)
    buf = io.BytesIO()
    s3.download_fileobj(bucket, 'py/fileobj.bin', buf)
    check(buf.getvalue() == big[:MiB], 'download_fileobj')

    # The multipart calls by hand, and an abort.
    mpu = s3.create_multipart_upload(Bucket=bucket, Key='py/manual.bin')
    uid = mpu['UploadId']
    p1 = s3.upload_part(Bucket=bucket, Key='py/manual.bin', UploadId=uid, PartNumber=1, Body=big[:5 * MiB])
    p2 = s3.upload_part(Bucket=bucket, Key='py/manual.bin', UploadId=uid, PartNumber=2, Body=big[5 * MiB:6 * MiB])
    parts = s3.list_parts(Bucket=bucket, Key='py/manual.bin', UploadId=uid)['Parts']
    check([(p['PartNumber'], p['Size']) for p in parts] == [(1, 5 * MiB), (2, MiB)], 'list_parts')
    done = s3.complete_multipart_upload(Bucket=bucket, Key='py/manual.bin', UploadId=uid, MultipartUpload={
        'Parts': [{'PartNumber': 1, 'ETag': p1['ETag']}, {'PartNumber': 2, 'ETag': p2['ETag']}]})
    check(done['ETag'].endswith('-2"'), 'complete ETag')
    check(s3.get_object(Bucket=bucket, Key='py/manual.bin')['Body'].read() == big[:6 * MiB], 'manual multipart bytes')
    ab = s3.create_multipart_upload(Bucket=bucket, Key='py/aborted.bin')
    uploads = s3.list_multipart_uploads(Bucket=bucket).get('Uploads', [])
    check([u['UploadId'] for u in uploads] == [ab['UploadId']], 'list_multipart_uploads')
    s3.abort_multipart_upload(Bucket=bucket, Key='py/aborted.bin', UploadId=ab['UploadId'])
    check(error_code(lambda: s3.list_parts(Bucket=bucket, Key='py/aborted.bin', UploadId=ab['UploadId']))
          == 'NoSuchUpload', 'aborted upload')
    check(error_code(lambda: s3.upload_part(Bucket=bucket, Key='py/small.bin', UploadId=uid, PartNumber=1, Body=b'x'))
          == 'NoSuchUpload', 'completed upload')

    # Listing, in pages of two, and with a delimiter.
    want = ['py/big.bin', 'py/copy.txt', 'py/fileobj.bin', 'py/hello.txt', 'py/manual.bin']
    keys, pages = [], 0
    for page in s3.get_paginator('list_objects_v2').paginate(Bucket=bucket, Prefix='py/', PaginationConfig={'PageSize': 2}):
        pages += 1
        keys += [o['Key'] for o in page.get('Contents', [])]
    check(keys == want and pages == 3, 'list_objects_v2 pages: %r in %d' % (keys, pages))
    v1 = [o['Key'] for p in s3.get_paginator('list_objects').paginate(Bucket=bucket, PaginationConfig={'PageSize': 2})
          for o in p.get('Contents', [])]
    check(v1 == want, 'list_objects (v1) %r' % v1)
    d = s3.list_objects_v2(Bucket=bucket, Delimiter='/')
    check([p['Prefix'] for p in d.get('CommonPrefixes', [])] == ['py/'], 'delimiter')

    # Deletes.
    s3.delete_object(Bucket=bucket, Key='py/copy.txt')
    res = s3.delete_objects(Bucket=bucket, Delete={'Objects': [{'Key': k} for k in want if k != 'py/copy.txt']})
    check(sorted(d['Key'] for d in res['Deleted']) == [k for k in want if k != 'py/copy.txt'], 'delete_objects')
    check(s3.list_objects_v2(Bucket=bucket)['KeyCount'] == 0, 'empty after deletes')
    s3.delete_bucket(Bucket=bucket)
    check(error_code(lambda: s3.head_bucket(Bucket=bucket)) == '404', 'head_bucket after delete')
    print(json.dumps({'boto3': boto3.__version__, 'botocore': botocore.__version__}))


# Pinning the clock, for the expired cases: botocore 1.29 reads
# datetime.datetime.utcnow() in botocore/auth.py (X-Amz-Date), in
# botocore/signers.py (a POST policy's expiration) and, when awscrt is
# installed (Debian's awscli pulls it in) and botocore signs with the CRT,
# in botocore/crt/auth.py.
_NOW = [None]


class _PinnedDatetime(datetime.datetime):
    @classmethod
    def utcnow(cls):
        return _NOW[0] or datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


_dt = types.ModuleType('datetime')
_dt.__dict__.update(datetime.__dict__)
_dt.datetime = _PinnedDatetime
botocore.auth.datetime = _dt
botocore.signers.datetime = _dt
try:
    import botocore.crt.auth
    botocore.crt.auth.datetime = _dt
except ImportError:  # no awscrt: botocore's own signer
    pass


def run_presign(spec):
    bucket = spec['bucket']
    ok = client_of(spec)
    unknown = client_of(spec, key_id=spec['wrongAccessKeyId'])
    wrong = client_of(spec, secret=spec['wrongSecretAccessKey'])
    put_headers = {'Content-Type': spec['contentType'], 'x-amz-meta-maker': 'botocore'}

    def get(c):
        return c.generate_presigned_url('get_object', Params={'Bucket': bucket, 'Key': spec['getKey']}, ExpiresIn=600)

    def put(c):
        # ContentType and Metadata become signed headers the uploader sends.
        url = c.generate_presigned_url('put_object', Params={
            'Bucket': bucket, 'Key': spec['putKey'], 'ContentType': spec['contentType'],
            'Metadata': {'maker': 'botocore'}}, ExpiresIn=600)
        return {'url': url, 'headers': put_headers}

    def post(c):
        return c.generate_presigned_post(
            bucket, spec['postKey'],
            Fields={'Content-Type': spec['contentType'], 'success_action_status': '201', 'x-amz-meta-maker': 'botocore-post'},
            Conditions=[['content-length-range', 1, MiB], ['starts-with', '$Content-Type', 'text/'],
                        {'success_action_status': '201'}, {'x-amz-meta-maker': 'botocore-post'}],
            ExpiresIn=600)

    out = {
        'get': get(ok), 'put': put(ok), 'post': post(ok),
        'getUnknownKey': get(unknown), 'putUnknownKey': put(unknown), 'postUnknownKey': post(unknown),
        'getWrongSecret': get(wrong), 'putWrongSecret': put(wrong), 'postWrongSecret': post(wrong),
    }
    # Signed an hour ago, for ten minutes.
    _NOW[0] = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(hours=1)
    out.update(getExpired=get(ok), putExpired=put(ok), postExpired=post(ok))
    _NOW[0] = None
    # botocore's default for a custom endpoint in us-east-1: SigV2.
    out['getSigV2Default'] = get(client_of(spec, signature_version=None))
    q = botocore.auth.AUTH_TYPE_MAPS['s3v4-query']
    out['signer'] = q.__module__ + '.' + q.__name__
    print(json.dumps(out))


def main():
    mode, spec = sys.argv[1], json.loads(sys.argv[2])
    if mode == 'client':
        run_client(spec, sys.argv[3])
    elif mode == 'presign':
        run_presign(spec)
    else:
        sys.exit('usage: boto3_e2e.py client|presign SPEC_JSON [WORKDIR]')


if __name__ == '__main__':
    main()
