#!/usr/bin/python3
"""Known-answer vectors for S3 presigned URLs, produced by real botocore.

Usage (from the repository root):

    /usr/bin/python3 conformance/botocore/presign.py testdata/sdk/botocore-presign.json

Run it with Debian's /usr/bin/python3 and the python3-boto3 package (see
conformance/install-deps.sh), not with another python3 that may be first on
PATH. OUTFILE defaults to testdata/sdk/botocore-presign.json in the repository
that holds this script; "-" writes to standard output.

The output is deterministic: botocore's clock is pinned to each case's
signing date, credentials are passed explicitly, and no AWS configuration
from the environment or from ~/.aws is read. See README.md beside this file.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _sandbox  # noqa: E402

# Isolate botocore from the machine before importing it (see _sandbox).
_sandbox.isolate()

import base64  # noqa: E402
import copy  # noqa: E402
import datetime  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import struct  # noqa: E402
import zlib  # noqa: E402
from urllib.parse import parse_qs, urlsplit  # noqa: E402

try:
    import boto3
    import botocore
    import botocore.auth
    import botocore.session
    from botocore import xform_name
    from botocore.config import Config
except ImportError as exc:  # pragma: no cover - environment problem
    _sandbox.import_failed('presign.py', exc)

GENERATOR = 'conformance/botocore/presign.py'
_sandbox.check_debian('presign.py', botocore)

# ---------------------------------------------------------------------------
# Pin the signer. This botocore reads the clock in botocore/auth.py as
# datetime.datetime.utcnow() (SigV4Auth.add_auth). Newer releases call
# botocore.compat.get_current_datetime(); patch whichever exists.
# ---------------------------------------------------------------------------
_sandbox.require_signer('presign.py', botocore.auth, 's3v4-query', botocore.auth.S3SigV4QueryAuth)
_CLOCK = _sandbox.Clock()
_CLOCK.patch(botocore.auth)
if hasattr(botocore.auth, 'get_current_datetime'):
    botocore.auth.get_current_datetime = lambda *a, **k: _CLOCK.now
if hasattr(botocore, 'compat') and hasattr(botocore.compat, 'get_current_datetime'):
    botocore.compat.get_current_datetime = lambda *a, **k: _CLOCK.now

# Capture the request exactly as S3SigV4QueryAuth signed it: method and
# headers (the ones the holder of the URL must send). add_auth runs after the
# before-sign handlers, so this sees the final request.
_CAPTURED = []
_orig_add_auth = botocore.auth.S3SigV4QueryAuth.add_auth


def _capturing_add_auth(self, request):
    result = _orig_add_auth(self, request)
    _CAPTURED.append(
        {
            'method': request.method,
            'headers': [(str(k), str(v)) for k, v in request.headers.items()],
        }
    )
    return result


botocore.auth.S3SigV4QueryAuth.add_auth = _capturing_add_auth

# ---------------------------------------------------------------------------
# Fixed inputs.
# ---------------------------------------------------------------------------
CREDS_A = ('AKIDEXAMPLE', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY')
CREDS_B = ('AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')
TOKEN_A = (
    'AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQW'
    'LWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGd'
    'QrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU'
    '9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz'
    '+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=='
)
TOKEN_B = 'FwoGZXIvYXdzEXAMPLE+session/token=='
DATE_A = '2026-01-15T12:00:00Z'
DATE_B = '2015-08-30T12:36:00Z'
REGIONS = ['us-east-1', 'us-west-2', 'eu-central-1', 'ap-southeast-2']
ENDPOINTS = [
    ('ip', 'http://127.0.0.1:9000'),
    ('localhost', 'http://localhost:9000'),
    ('https', 'https://s3.example.com'),
]
BUCKET = 'examplebucket'
DOTTED_BUCKET = 'my.dotted.bucket'

BODY = b'hello world'
CONTENT_MD5 = base64.b64encode(hashlib.md5(BODY).digest()).decode()
CHECKSUM_SHA256 = base64.b64encode(hashlib.sha256(BODY).digest()).decode()
CHECKSUM_SHA1 = base64.b64encode(hashlib.sha1(BODY).digest()).decode()
CHECKSUM_CRC32 = base64.b64encode(struct.pack('>I', zlib.crc32(BODY))).decode()


def _crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


CHECKSUM_CRC32C = base64.b64encode(struct.pack('>I', _crc32c(BODY))).decode()
SSE_C_KEY = '0123456789abcdef0123456789ABCDEF'  # 32 ASCII bytes
UPLOAD_ID = 'VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA--'
UPLOAD_ID_SPECIAL = 'abc/DEF+ghi=jkl~mno.pqr_stu-vwx'
VERSION_ID = '3HL4kqtJlcpXroDTDmjVBH40Nrjfkd'

KEYS = [
    ('simple', 'object.txt'),
    ('nested', 'photos/2026/01/cat.jpg'),
    ('space', 'my file.txt'),
    ('spaces-many', '  leading and  double  spaces  '),
    ('unicode-latin', 'caf\u00e9/r\u00e9sum\u00e9.pdf'),
    ('unicode-cjk', '\u65e5\u672c\u8a9e/\u30d5\u30a1\u30a4\u30eb.txt'),
    ('unicode-emoji', 'emoji-\U0001F600.png'),
    ('plus', 'a+b+c.txt'),
    ('equals', 'key=value.txt'),
    ('question', 'what?.txt'),
    ('hash', 'issue#42.txt'),
    ('percent', '100%25-done%.txt'),
    ('tilde', '~user/file~1.txt'),
    ('asterisk', 'star*name*.txt'),
    ('double-slash', 'a//b///c.txt'),
    ('leading-slash', '/leading/slash.txt'),
    ('trailing-slash', 'folder/'),
    ('dot-segments', 'a/./b/../c.txt'),
    ('ampersand-semicolon', 'a&b;c,d:e@f$g.txt'),
    ('parens-quotes', "it's (a) \"test\" [1] {2} !.txt"),
    ('ascii-punct', '-_.~!*\'();:@&=+$,/?#[]%<>"{}|\\^`'),
    ('control-tab', 'tab\there.txt'),
    ('unreserved', 'AZaz09-_.~'),
]

# Which addressing / endpoint configuration each case uses.
DEFAULT_STYLE = {}
PATH_STYLE = {'addressing': 'path'}
VIRTUAL_STYLE = {'addressing': 'virtual'}


# ---------------------------------------------------------------------------
# Case table.
# ---------------------------------------------------------------------------
CASES = []
_NAME_RE = re.compile(r'^[a-z0-9]+(-[a-z0-9]+)*$')


def add(
    name,
    operation,
    params,
    region='us-east-1',
    creds=CREDS_A,
    token=None,
    endpoint=None,
    addressing=None,
    dualstack=False,
    accelerate=False,
    date=DATE_A,
    expires=None,
):
    if not _NAME_RE.match(name):
        raise ValueError('case name is not kebab-case: %r' % name)
    CASES.append(
        {
            'name': name,
            'operation': operation,
            'params': params,
            'region': region,
            'creds': creds,
            'token': token,
            'endpoint': endpoint,
            'addressing': addressing,
            'dualstack': dualstack,
            'accelerate': accelerate,
            'date': date,
            'expires': expires,
        }
    )


def obj(key='object.txt', bucket=BUCKET, **extra):
    params = {'Bucket': bucket, 'Key': key}
    params.update(extra)
    return params


def build_cases():
    # 1. Key encoding: every key, virtual-hosted (default) and path style.
    for label, key in KEYS:
        add('key-%s-get-default' % label, 'GetObject', obj(key))
    for label, key in KEYS:
        add(
            'key-%s-put-path-us-west-2' % label,
            'PutObject',
            obj(key),
            region='us-west-2',
            **PATH_STYLE,
        )
    for label, key in KEYS[:12]:
        add(
            'key-%s-get-endpoint-ip' % label,
            'GetObject',
            obj(key),
            endpoint='http://127.0.0.1:9000',
        )

    # 2. Regions x addressing styles, plus dotted and non-DNS bucket names.
    for region in REGIONS:
        add('region-%s-get-default' % region, 'GetObject', obj(), region=region)
        add(
            'region-%s-get-virtual' % region,
            'GetObject',
            obj(),
            region=region,
            **VIRTUAL_STYLE,
        )
        add(
            'region-%s-get-path' % region,
            'GetObject',
            obj(),
            region=region,
            **PATH_STYLE,
        )
        add(
            'region-%s-put-content-type' % region,
            'PutObject',
            obj(ContentType='application/octet-stream'),
            region=region,
        )
        add(
            'dotted-bucket-%s-get-default' % region,
            'GetObject',
            obj(bucket=DOTTED_BUCKET),
            region=region,
        )
    for region in ('us-east-1', 'eu-central-1'):
        add(
            'dotted-bucket-%s-get-virtual' % region,
            'GetObject',
            obj(bucket=DOTTED_BUCKET),
            region=region,
            **VIRTUAL_STYLE,
        )
        add(
            'dotted-bucket-%s-get-path' % region,
            'GetObject',
            obj(bucket=DOTTED_BUCKET),
            region=region,
            **PATH_STYLE,
        )
    add('bucket-dashes-digits-get', 'GetObject', obj(bucket='my-bucket-2026'))
    add('bucket-uppercase-get', 'GetObject', obj(bucket='LegacyBucket'))
    add(
        'bucket-underscore-eu-central-1-get',
        'GetObject',
        obj(bucket='legacy_bucket'),
        region='eu-central-1',
    )

    # 3. Custom endpoints with ports, with every addressing style.
    for label, url in ENDPOINTS:
        for style_label, style in (
            ('default', DEFAULT_STYLE),
            ('path', PATH_STYLE),
            ('virtual', VIRTUAL_STYLE),
        ):
            add(
                'endpoint-%s-get-%s' % (label, style_label),
                'GetObject',
                obj('dir/my file.txt'),
                endpoint=url,
                **style,
            )
        add(
            'endpoint-%s-put-content-type-path' % label,
            'PutObject',
            obj('upload.bin', ContentType='application/octet-stream'),
            endpoint=url,
            **PATH_STYLE,
        )
        add(
            'endpoint-%s-dotted-bucket-path' % label,
            'GetObject',
            obj(bucket=DOTTED_BUCKET),
            endpoint=url,
            **PATH_STYLE,
        )
    add(
        'endpoint-https-eu-central-1-get-path',
        'GetObject',
        obj(),
        region='eu-central-1',
        endpoint='https://s3.example.com',
        **PATH_STYLE,
    )
    add(
        'endpoint-ip-ap-southeast-2-token-path',
        'GetObject',
        obj(),
        region='ap-southeast-2',
        endpoint='http://127.0.0.1:9000',
        token=TOKEN_B,
        **PATH_STYLE,
    )

    # 4. Dualstack and transfer acceleration.
    for region in ('us-east-1', 'us-west-2'):
        add('dualstack-%s-get' % region, 'GetObject', obj(), region=region, dualstack=True)
        add(
            'dualstack-%s-get-path' % region,
            'GetObject',
            obj(),
            region=region,
            dualstack=True,
            **PATH_STYLE,
        )
        add('accelerate-%s-get' % region, 'GetObject', obj(), region=region, accelerate=True)
    add(
        'accelerate-put-content-type',
        'PutObject',
        obj(ContentType='text/plain'),
        region='eu-central-1',
        accelerate=True,
    )
    add(
        'accelerate-dualstack-us-west-2-get',
        'GetObject',
        obj(),
        region='us-west-2',
        accelerate=True,
        dualstack=True,
    )
    # Expected errors: botocore refuses these.
    add(
        'error-accelerate-dotted-bucket',
        'GetObject',
        obj(bucket=DOTTED_BUCKET),
        accelerate=True,
    )
    add(
        'error-accelerate-custom-endpoint',
        'GetObject',
        obj(),
        endpoint='https://s3.example.com',
        accelerate=True,
    )
    add(
        'error-put-non-ascii-metadata',
        'PutObject',
        obj(Metadata={'note': 'caf\u00e9'}),
    )

    # 5. GetObject query parameters.
    get_params = [
        ('version-id', {'VersionId': VERSION_ID}),
        ('part-number', {'PartNumber': 2}),
        ('response-content-type', {'ResponseContentType': 'text/plain; charset=utf-8'}),
        (
            'response-content-disposition',
            {'ResponseContentDisposition': 'attachment; filename="report 2026.pdf"'},
        ),
        (
            'response-content-disposition-unicode',
            {
                'ResponseContentDisposition': (
                    "attachment; filename=\"r\u00e9sum\u00e9.pdf\"; "
                    "filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"
                )
            },
        ),
        ('response-cache-control', {'ResponseCacheControl': 'no-cache, max-age=0'}),
        ('response-content-language', {'ResponseContentLanguage': 'en-US'}),
        ('response-content-encoding', {'ResponseContentEncoding': 'gzip'}),
        ('response-expires', {'ResponseExpires': 'Thu, 01 Dec 1994 16:00:00 GMT'}),
        (
            'all-response-overrides',
            {
                'ResponseCacheControl': 'private',
                'ResponseContentDisposition': 'inline',
                'ResponseContentEncoding': 'identity',
                'ResponseContentLanguage': 'de-DE',
                'ResponseContentType': 'image/png',
                'ResponseExpires': 'Wed, 21 Oct 2026 07:28:00 GMT',
            },
        ),
        (
            'version-part-overrides',
            {
                'ResponseContentType': 'application/json',
                'PartNumber': 1,
                'VersionId': 'null',
            },
        ),
        ('sse-c', {'SSECustomerAlgorithm': 'AES256', 'SSECustomerKey': SSE_C_KEY}),
        ('request-payer', {'RequestPayer': 'requester'}),
        ('expected-bucket-owner', {'ExpectedBucketOwner': '111122223333'}),
        ('range', {'Range': 'bytes=0-1023'}),
        ('if-match', {'IfMatch': '"d41d8cd98f00b204e9800998ecf8427e"'}),
        ('checksum-mode', {'ChecksumMode': 'ENABLED'}),
    ]
    for label, extra in get_params:
        add('get-%s' % label, 'GetObject', obj('docs/report.pdf', **extra))
    # botocore serializes query parameters in the order of the caller's
    # Params dict (the canonical query string is sorted, so only the URL
    # text changes, not the signature). Same params, two orders:
    order = [
        ('VersionId', VERSION_ID),
        ('PartNumber', 1),
        ('ResponseContentType', 'text/csv'),
        ('ResponseCacheControl', 'no-store'),
    ]
    for label, items in (('forward', order), ('reverse', order[::-1])):
        params = {'Bucket': BUCKET, 'Key': 'docs/report.pdf'}
        params.update(items)
        add('get-param-order-%s' % label, 'GetObject', params)
        tail = dict(items)
        head = {'Key': 'docs/report.pdf', 'Bucket': BUCKET}
        head.update(tail)
        add('get-param-order-%s-key-first' % label, 'GetObject', head)
    add(
        'get-response-content-disposition-path-eu-central-1',
        'GetObject',
        obj(
            'docs/report.pdf',
            ResponseContentDisposition='attachment; filename="a+b=c.pdf"',
        ),
        region='eu-central-1',
        **PATH_STYLE,
    )

    # 6. PutObject headers.
    put_params = [
        ('plain', {}),
        ('content-type', {'ContentType': 'image/jpeg'}),
        ('content-type-charset', {'ContentType': 'text/html; charset=UTF-8'}),
        ('content-length', {'ContentLength': 11}),
        ('content-length-zero', {'ContentLength': 0}),
        ('content-md5', {'ContentMD5': CONTENT_MD5}),
        ('cache-control', {'CacheControl': 'public, max-age=31536000, immutable'}),
        (
            'content-disposition',
            {'ContentDisposition': 'attachment; filename="photo 1.jpg"'},
        ),
        (
            'content-disposition-whitespace',
            {'ContentDisposition': ' attachment;   filename="a   b.txt"  '},
        ),
        ('content-encoding', {'ContentEncoding': 'gzip'}),
        ('content-language', {'ContentLanguage': 'fr-CA'}),
        (
            'metadata',
            {
                'Metadata': {
                    'author': 'Jane Doe',
                    'Project-Name': 'presign',
                    'x-trace': 'a=b;c=d',
                    'empty': '',
                }
            },
        ),
        ('metadata-whitespace', {'Metadata': {'spaced': '  two  spaces  '}}),
        ('acl-public-read', {'ACL': 'public-read'}),
        ('acl-bucket-owner-full-control', {'ACL': 'bucket-owner-full-control'}),
        ('storage-class-standard-ia', {'StorageClass': 'STANDARD_IA'}),
        ('storage-class-glacier-ir', {'StorageClass': 'GLACIER_IR'}),
        ('tagging', {'Tagging': 'project=presign&env=test data'}),
        ('sse-aes256', {'ServerSideEncryption': 'AES256'}),
        (
            'sse-kms',
            {
                'ServerSideEncryption': 'aws:kms',
                'SSEKMSKeyId': (
                    'arn:aws:kms:us-east-1:111122223333:key/'
                    '1234abcd-12ab-34cd-56ef-1234567890ab'
                ),
            },
        ),
        (
            'sse-kms-bucket-key',
            {'ServerSideEncryption': 'aws:kms', 'BucketKeyEnabled': True},
        ),
        ('sse-c', {'SSECustomerAlgorithm': 'AES256', 'SSECustomerKey': SSE_C_KEY}),
        ('checksum-sha256', {'ChecksumSHA256': CHECKSUM_SHA256}),
        ('checksum-crc32', {'ChecksumCRC32': CHECKSUM_CRC32}),
        ('checksum-crc32c', {'ChecksumCRC32C': CHECKSUM_CRC32C}),
        ('checksum-sha1', {'ChecksumSHA1': CHECKSUM_SHA1}),
        ('checksum-algorithm-sha256', {'ChecksumAlgorithm': 'SHA256'}),
        ('website-redirect', {'WebsiteRedirectLocation': '/other/page.html'}),
        ('request-payer', {'RequestPayer': 'requester'}),
        ('object-lock-legal-hold', {'ObjectLockLegalHoldStatus': 'ON'}),
        (
            'everything',
            {
                'ACL': 'private',
                'CacheControl': 'no-store',
                'ContentDisposition': 'inline',
                'ContentEncoding': 'identity',
                'ContentLength': 11,
                'ContentMD5': CONTENT_MD5,
                'ContentType': 'text/plain',
                'Metadata': {'a': '1', 'b': '2', 'c': '3'},
                'ServerSideEncryption': 'AES256',
                'StorageClass': 'STANDARD',
                'Tagging': 'k=v',
                'ChecksumSHA256': CHECKSUM_SHA256,
            },
        ),
    ]
    for label, extra in put_params:
        add('put-%s' % label, 'PutObject', obj('uploads/file.bin', **extra))
    add(
        'put-content-type-metadata-path-ap-southeast-2',
        'PutObject',
        obj(
            'uploads/r\u00e9sum\u00e9 final.pdf',
            ContentType='application/pdf',
            Metadata={'owner': 'alice', 'Department': 'R&D'},
        ),
        region='ap-southeast-2',
        **PATH_STYLE,
    )
    add(
        'put-sse-c-endpoint-localhost',
        'PutObject',
        obj(
            'secret.bin',
            SSECustomerAlgorithm='AES256',
            SSECustomerKey=SSE_C_KEY,
            ContentType='application/octet-stream',
        ),
        endpoint='http://localhost:9000',
        **PATH_STYLE,
    )

    # 7. Other object operations.
    add('head-plain', 'HeadObject', obj('docs/report.pdf'))
    add('head-version-id', 'HeadObject', obj('docs/report.pdf', VersionId=VERSION_ID))
    add('head-part-number', 'HeadObject', obj('docs/report.pdf', PartNumber=3))
    add(
        'head-sse-c',
        'HeadObject',
        obj('docs/report.pdf', SSECustomerAlgorithm='AES256', SSECustomerKey=SSE_C_KEY),
    )
    add(
        'head-path-eu-central-1',
        'HeadObject',
        obj('a b/c.txt'),
        region='eu-central-1',
        **PATH_STYLE,
    )
    add('delete-plain', 'DeleteObject', obj('trash/old file.txt'))
    add('delete-version-id', 'DeleteObject', obj('trash/old.txt', VersionId=VERSION_ID))
    add(
        'delete-bypass-governance',
        'DeleteObject',
        obj('trash/old.txt', BypassGovernanceRetention=True),
    )
    add(
        'delete-endpoint-ip-path',
        'DeleteObject',
        obj('trash/old.txt'),
        endpoint='http://127.0.0.1:9000',
        **PATH_STYLE,
    )
    add('create-mpu-plain', 'CreateMultipartUpload', obj('big/video.mp4'))
    add(
        'create-mpu-content-type-metadata',
        'CreateMultipartUpload',
        obj('big/video.mp4', ContentType='video/mp4', Metadata={'camera': 'A7', 'take': '3'}),
    )
    add(
        'create-mpu-sse-kms',
        'CreateMultipartUpload',
        obj(
            'big/video.mp4',
            ServerSideEncryption='aws:kms',
            SSEKMSKeyId='alias/my-key',
        ),
    )
    add(
        'create-mpu-checksum-algorithm',
        'CreateMultipartUpload',
        obj('big/video.mp4', ChecksumAlgorithm='CRC32'),
    )
    add(
        'create-mpu-path-us-west-2',
        'CreateMultipartUpload',
        obj('big/video.mp4'),
        region='us-west-2',
        **PATH_STYLE,
    )
    add(
        'upload-part-basic',
        'UploadPart',
        obj('big/video.mp4', UploadId=UPLOAD_ID, PartNumber=1),
    )
    add(
        'upload-part-special-upload-id',
        'UploadPart',
        obj('big/video.mp4', UploadId=UPLOAD_ID_SPECIAL, PartNumber=10000),
    )
    add(
        'upload-part-content-length-md5',
        'UploadPart',
        obj(
            'big/video.mp4',
            UploadId=UPLOAD_ID,
            PartNumber=2,
            ContentLength=11,
            ContentMD5=CONTENT_MD5,
        ),
    )
    add(
        'upload-part-checksum-crc32',
        'UploadPart',
        obj('big/video.mp4', UploadId=UPLOAD_ID, PartNumber=3, ChecksumCRC32=CHECKSUM_CRC32),
    )
    add(
        'upload-part-sse-c',
        'UploadPart',
        obj(
            'big/video.mp4',
            UploadId=UPLOAD_ID,
            PartNumber=4,
            SSECustomerAlgorithm='AES256',
            SSECustomerKey=SSE_C_KEY,
        ),
    )
    add(
        'upload-part-endpoint-ip-token',
        'UploadPart',
        obj('big/video.mp4', UploadId=UPLOAD_ID_SPECIAL, PartNumber=5),
        endpoint='http://127.0.0.1:9000',
        token=TOKEN_A,
        **PATH_STYLE,
    )
    add(
        'upload-part-expires-604800',
        'UploadPart',
        obj('big/video.mp4', UploadId=UPLOAD_ID, PartNumber=6),
        expires=604800,
        region='eu-central-1',
    )
    add(
        'complete-mpu',
        'CompleteMultipartUpload',
        obj('big/video.mp4', UploadId=UPLOAD_ID),
    )
    add(
        'complete-mpu-special-upload-id-path',
        'CompleteMultipartUpload',
        obj('big/video.mp4', UploadId=UPLOAD_ID_SPECIAL),
        region='ap-southeast-2',
        **PATH_STYLE,
    )
    add(
        'abort-mpu',
        'AbortMultipartUpload',
        obj('big/video.mp4', UploadId=UPLOAD_ID),
    )
    add(
        'abort-mpu-token',
        'AbortMultipartUpload',
        obj('big/video.mp4', UploadId=UPLOAD_ID_SPECIAL),
        token=TOKEN_B,
    )
    add(
        'upload-part-order-part-number-first',
        'UploadPart',
        {'Bucket': BUCKET, 'Key': 'big/video.mp4', 'PartNumber': 7, 'UploadId': UPLOAD_ID},
    )
    add('list-parts', 'ListParts', obj('big/video.mp4', UploadId=UPLOAD_ID))
    add(
        'list-parts-max-marker',
        'ListParts',
        obj('big/video.mp4', UploadId=UPLOAD_ID, MaxParts=100, PartNumberMarker=5),
    )
    add(
        'list-parts-order-reverse',
        'ListParts',
        {
            'PartNumberMarker': 5,
            'MaxParts': 100,
            'UploadId': UPLOAD_ID,
            'Key': 'big/video.mp4',
            'Bucket': BUCKET,
        },
    )

    # 8. Credentials, session tokens and signing dates.
    for date_label, date in (('2026', DATE_A), ('2015', DATE_B)):
        for cred_label, creds in (('akid', CREDS_A), ('akia', CREDS_B)):
            for token_label, token in (('no-token', None), ('token-a', TOKEN_A), ('token-b', TOKEN_B)):
                for region in ('us-east-1', 'ap-southeast-2'):
                    add(
                        'creds-%s-%s-%s-%s-get' % (date_label, cred_label, token_label, region),
                        'GetObject',
                        obj('reports/q1 2026.csv'),
                        region=region,
                        creds=creds,
                        token=token,
                        date=date,
                    )
    for token_label, token in (('token-a', TOKEN_A), ('token-b', TOKEN_B)):
        add(
            'token-%s-put-content-type-metadata' % token_label,
            'PutObject',
            obj('uploads/file.bin', ContentType='text/csv', Metadata={'k': 'v'}),
            token=token,
            date=DATE_B,
            region='us-west-2',
        )

    # 9. Expiry.
    for expires in (1, 900, 3600, 604800):
        add('expires-%d-get' % expires, 'GetObject', obj(), expires=expires)
        add(
            'expires-%d-put-path-us-west-2' % expires,
            'PutObject',
            obj(ContentType='text/plain'),
            expires=expires,
            region='us-west-2',
            **PATH_STYLE,
        )
        add(
            'expires-%d-get-token-2015' % expires,
            'GetObject',
            obj(),
            expires=expires,
            token=TOKEN_A,
            date=DATE_B,
            creds=CREDS_B,
        )


# ---------------------------------------------------------------------------
# Running botocore.
# ---------------------------------------------------------------------------
_SESSION = botocore.session.get_session()
_CLIENTS = {}


def client_for(case):
    key = (
        case['region'],
        case['creds'],
        case['token'],
        case['endpoint'],
        case['addressing'],
        case['dualstack'],
        case['accelerate'],
    )
    if key not in _CLIENTS:
        s3 = {}
        if case['addressing']:
            s3['addressing_style'] = case['addressing']
        if case['dualstack']:
            s3['use_dualstack_endpoint'] = True
        if case['accelerate']:
            s3['use_accelerate_endpoint'] = True
        config = Config(signature_version='s3v4', s3=s3 or None)
        _CLIENTS[key] = _SESSION.create_client(
            's3',
            region_name=case['region'],
            endpoint_url=case['endpoint'],
            aws_access_key_id=case['creds'][0],
            aws_secret_access_key=case['creds'][1],
            aws_session_token=case['token'],
            config=config,
        )
    return _CLIENTS[key]


def parse_date(value):
    return datetime.datetime.strptime(value, '%Y-%m-%dT%H:%M:%SZ')


def describe_error(exc):
    return '%s: %s' % (type(exc).__name__, ' '.join(str(exc).split()))


def run_case(case):
    client = client_for(case)
    method = xform_name(case['operation'])
    kwargs = {'Params': copy.deepcopy(case['params'])}  # botocore mutates Params
    if case['expires'] is not None:
        kwargs['ExpiresIn'] = case['expires']
    _CLOCK.now = parse_date(case['date'])
    del _CAPTURED[:]
    try:
        url = client.generate_presigned_url(method, **kwargs)
    except Exception as exc:  # botocore refused the input
        return {'error': describe_error(exc)}
    finally:
        _CLOCK.now = None
    if len(_CAPTURED) != 1:
        raise RuntimeError('%s: signer ran %d times' % (case['name'], len(_CAPTURED)))
    captured = _CAPTURED[0]
    headers = {}
    for name, value in captured['headers']:
        lname = name.lower()
        if lname in headers:
            raise RuntimeError('%s: duplicate header %s' % (case['name'], lname))
        headers[lname] = value
    check_signed_headers(case, url, headers)
    return {
        'method': captured['method'],
        'url': url,
        'headers': {k: headers[k] for k in sorted(headers)},
    }


def check_signed_headers(case, url, headers):
    """The recorded headers plus host must be exactly what was signed."""
    query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    signed = query['X-Amz-SignedHeaders'][0].split(';')
    expected = sorted(
        (set(headers) | {'host'}) - set(botocore.auth.SIGNED_HEADERS_BLACKLIST)
    )
    if signed != expected:
        raise RuntimeError(
            '%s: signed headers %r != recorded %r' % (case['name'], signed, expected)
        )


def case_input(case):
    out = {
        'kind': 'command',
        'operation': case['operation'],
        'params': case['params'],
        'region': case['region'],
    }
    creds = {'accessKeyId': case['creds'][0], 'secretAccessKey': case['creds'][1]}
    if case['token'] is not None:
        creds['sessionToken'] = case['token']
    out['credentials'] = creds
    if case['endpoint'] is not None:
        out['endpoint'] = case['endpoint']
    if case['addressing'] == 'path':
        out['forcePathStyle'] = True
    elif case['addressing'] == 'virtual':
        out['addressingStyle'] = 'virtual'
    if case['dualstack']:
        out['useDualstackEndpoint'] = True
    if case['accelerate']:
        out['useAccelerateEndpoint'] = True
    out['signingDate'] = case['date']
    if case['expires'] is not None:
        out['expiresIn'] = case['expires']
    return out


def supported(case):
    """Skip cases whose params this botocore's S3 model does not know."""
    model = _SESSION.get_service_model('s3')
    members = model.operation_model(case['operation']).input_shape.members
    return all(name in members for name in case['params'])


def generate():
    build_cases()
    names = set()
    cases = []
    for case in CASES:
        if case['name'] in names:
            raise ValueError('duplicate case name %s' % case['name'])
        names.add(case['name'])
        if not supported(case):
            print('skipping %s: params unknown to botocore %s'
                  % (case['name'], botocore.__version__), file=sys.stderr)
            continue
        cases.append(
            {
                'name': case['name'],
                'input': case_input(case),
                'output': run_case(case),
            }
        )
    return {
        'generator': GENERATOR,
        'sdk': {'botocore': botocore.__version__, 'boto3': boto3.__version__},
        'cases': cases,
    }


def main(argv):
    _sandbox.write_vectors('presign.py', 'botocore-presign.json', argv, generate)


if __name__ == '__main__':
    main(sys.argv)
