#!/usr/bin/python3
"""Known-answer vectors for S3 presigned POST forms, produced by real botocore.

Usage (from the repository root):

    /usr/bin/python3 conformance/botocore/post.py testdata/sdk/botocore-post.json

Run it with Debian's /usr/bin/python3 and the python3-boto3 package (see
conformance/install-deps.sh). OUTFILE defaults to
testdata/sdk/botocore-post.json in the repository that holds this script;
"-" writes to standard output.

The output is deterministic: botocore's clock is pinned to each case's
signing date (generate_presigned_post reads it twice, for the expiration in
botocore/signers.py and for X-Amz-Date in botocore/auth.py), credentials are
passed explicitly, and no AWS configuration from the environment or from
~/.aws is read. See README.md beside this file.
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
import json  # noqa: E402
import re  # noqa: E402

try:
    import boto3
    import botocore
    import botocore.auth
    import botocore.session
    import botocore.signers
    from botocore.config import Config
except ImportError as exc:  # pragma: no cover - environment problem
    _sandbox.import_failed('post.py', exc)

GENERATOR = 'conformance/botocore/post.py'
_sandbox.check_debian('post.py', botocore)
_sandbox.require_signer('post.py', botocore.auth, 's3v4-presign-post', botocore.auth.S3SigV4PostAuth)

# ---------------------------------------------------------------------------
# Pin the clock. botocore 1.29 reads datetime.datetime.utcnow() in
# botocore/signers.py (S3PostPresigner: the policy's expiration) and in
# botocore/auth.py (S3SigV4PostAuth: X-Amz-Date).
# ---------------------------------------------------------------------------
_CLOCK = _sandbox.Clock(strict=True)
_CLOCK.patch(botocore.auth)
_CLOCK.patch(botocore.signers)
for _mod in (botocore.auth, botocore.signers, getattr(botocore, 'compat', None)):
    if _mod is not None and hasattr(_mod, 'get_current_datetime'):
        _mod.get_current_datetime = lambda *a, **k: _CLOCK.module.datetime.utcnow()

# ---------------------------------------------------------------------------
# Fixed inputs (the same credentials and tokens as presign.py).
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
BUCKET = 'examplebucket'
TAGGING = '<Tagging><TagSet><Tag><Key>team</Key><Value>a&b</Value></Tag></TagSet></Tagging>'

CASES = []
_NAME_RE = re.compile(r'^[a-z0-9]+(-[a-z0-9]+)*$')


def add(name, key, bucket=BUCKET, fields=None, conditions=None, expires=None,
        region='us-east-1', creds=CREDS_A, token=None, endpoint=None,
        addressing=None, date=DATE_A):
    if not _NAME_RE.match(name):
        raise ValueError('case name is not kebab-case: %r' % name)
    CASES.append({
        'name': name, 'bucket': bucket, 'key': key, 'fields': fields,
        'conditions': conditions, 'expires': expires, 'region': region,
        'creds': creds, 'token': token, 'endpoint': endpoint,
        'addressing': addressing, 'date': date,
    })


KEYS = [
    ('plain', 'uploads/photo.jpg'),
    ('filename-suffix', 'uploads/${filename}'),
    ('filename-only', '${filename}'),
    ('filename-middle', 'uploads/${filename}/original'),
    ('e-acute', 'caf\u00e9/r\u00e9sum\u00e9.pdf'),
    ('japanese', '\u65e5\u672c\u8a9e/\u30d5\u30a1\u30a4\u30eb.txt'),
    ('emoji', 'emoji-\U0001F600-\U0001F680.png'),
    ('double-quote', 'say "hello".txt'),
    ('backslash', 'back\\slash\\${filename}'),
    ('html-chars', '<script>&amp;</script>.html'),
    ('line-separators', 'a\u2028b\u2029c.txt'),
    ('control-chars', 'tab\there\nnewline\u0001\u007f.txt'),
    ('all-ascii-punctuation', ' !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'),
]

# (slug, conditions, fields): botocore does not turn fields into conditions.
CONDITIONS = [
    ('acl-exact', [{'acl': 'public-read'}], {'acl': 'public-read'}),
    ('acl-eq', [['eq', '$acl', 'bucket-owner-full-control']], {'acl': 'bucket-owner-full-control'}),
    ('content-type-starts-with', [['starts-with', '$Content-Type', 'image/']], {'Content-Type': 'image/jpeg'}),
    ('content-type-any', [['starts-with', '$Content-Type', '']], {}),
    ('cache-control', [{'Cache-Control': 'max-age=31536000, immutable'}], {'Cache-Control': 'max-age=31536000, immutable'}),
    ('content-disposition', [{'Content-Disposition': 'attachment; filename="r\u00e9sum\u00e9 \\"1\\".pdf"'}],
     {'Content-Disposition': 'attachment; filename="r\u00e9sum\u00e9 \\"1\\".pdf"'}),
    ('content-encoding', [{'Content-Encoding': 'gzip'}], {'Content-Encoding': 'gzip'}),
    ('expires-header', [['starts-with', '$Expires', 'Thu, ']], {'Expires': 'Thu, 01 Dec 2030 16:00:00 GMT'}),
    ('success-action-status', [{'success_action_status': '201'}], {'success_action_status': '201'}),
    ('success-action-redirect', [['starts-with', '$success_action_redirect', 'https://example.com/']],
     {'success_action_redirect': 'https://example.com/done?x=1&y=<2>'}),
    ('tagging', [{'tagging': TAGGING}], {'tagging': TAGGING}),
    ('meta-unicode', [{'x-amz-meta-author': 'Zo\u00eb \u00c5ngstr\u00f6m \u65e5\u672c \U0001F680'}],
     {'x-amz-meta-author': 'Zo\u00eb \u00c5ngstr\u00f6m \u65e5\u672c \U0001F680'}),
    ('meta-starts-with-empty', [['starts-with', '$x-amz-meta-tag', '']], {'x-amz-meta-tag': ''}),
    ('sse-kms', [{'x-amz-server-side-encryption': 'aws:kms'},
                 {'x-amz-server-side-encryption-aws-kms-key-id': 'alias/uploads'}],
     {'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': 'alias/uploads'}),
    ('storage-class', [['eq', '$x-amz-storage-class', 'GLACIER_IR']], {'x-amz-storage-class': 'GLACIER_IR'}),
    ('checksum-sha256', [{'x-amz-checksum-sha256': '2XkJPNyXVgVbNyHnr6QTsxWzqVzrQlPA5HGgy5M5C7w='}],
     {'x-amz-checksum-sha256': '2XkJPNyXVgVbNyHnr6QTsxWzqVzrQlPA5HGgy5M5C7w='}),
    ('content-length-range', [['content-length-range', 1, 10485760]], {}),
    ('content-length-range-zero', [['content-length-range', 0, 0]], {}),
    ('duplicate-conditions', [{'acl': 'private'}, {'acl': 'private'}], {'acl': 'private'}),
    ('fields-without-conditions', [], {'Content-Type': 'text/plain', 'x-amz-meta-a': '1'}),
    ('field-overrides-key', [], {'key': 'ignored/by/botocore', 'acl': 'private'}),
    ('quotes-backslashes', [{'x-amz-meta-q': '"quoted" and \\back\\'}], {'x-amz-meta-q': '"quoted" and \\back\\'}),
    ('control-and-separators', [{'x-amz-meta-c': 'l1\nl2\t\u0000\u001f\u007f\u2028\u2029'}],
     {'x-amz-meta-c': 'l1\nl2\t\u0000\u001f\u007f\u2028\u2029'}),
    ('everything', [
        {'acl': 'public-read'},
        ['starts-with', '$Content-Type', 'image/'],
        ['content-length-range', 1, 10485760],
        ['starts-with', '$x-amz-meta-tag', ''],
        {'success_action_status': '201'},
    ], {'acl': 'public-read', 'Content-Type': 'image/png', 'x-amz-meta-tag': '', 'success_action_status': '201'}),
]


def build_cases():
    for slug, key in KEYS:
        add('key-%s' % slug, key)
        add('key-%s-path-token' % slug, key, addressing='path', token=TOKEN_B,
            region='us-west-2', date=DATE_B)
    for slug, conditions, fields in CONDITIONS:
        add('cond-%s' % slug, 'uploads/${filename}', conditions=conditions, fields=fields)
        add('cond-%s-token-eu-central-1' % slug, 'uploads/photo.jpg', conditions=conditions,
            fields=fields, token=TOKEN_A, creds=CREDS_B, region='eu-central-1', date=DATE_B,
            expires=600)
    for expires in (None, 1, 60, 86400, 604800):
        add('expires-%s' % ('default' if expires is None else expires), 'expiry/test.txt',
            expires=expires)
    add('clock-before-midnight', 'clock/midnight.txt', date='2026-12-31T23:59:59Z', expires=1)
    for region in ('us-east-1', 'us-west-2', 'eu-central-1', 'ap-southeast-2'):
        add('region-%s' % region, 'r/${filename}', region=region)
        add('region-%s-path' % region, 'r/${filename}', region=region, addressing='path')
        add('region-%s-virtual' % region, 'r/${filename}', region=region, addressing='virtual')
    for slug, bucket in (('dotted', 'my.dotted.bucket'), ('upper-case', 'LegacyBucket'),
                         ('underscore', 'legacy_bucket')):
        add('bucket-%s' % slug, 'b/${filename}', bucket=bucket)
        add('bucket-%s-us-west-2' % slug, 'b/${filename}', bucket=bucket, region='us-west-2')
    # Partitions: botocore's global endpoint (s3.amazonaws.com) is for the
    # aws partition only; upper-case buckets that are host labels use it in
    # path style whatever the region.
    for region in ('cn-north-1', 'us-gov-west-1'):
        add('partition-%s' % region, 'p/${filename}', region=region)
        add('partition-%s-upper-case' % region, 'p/${filename}', bucket='LegacyBucket', region=region)
    add('bucket-upper-case-us-west-2-path', 'b/${filename}', bucket='LegacyBucket', region='us-west-2',
        addressing='path')
    add('bucket-upper-case-hyphen-end-eu-central-1', 'b/${filename}', bucket='LEGACY-', region='eu-central-1')
    for slug, url in (('ip', 'http://127.0.0.1:9000'), ('localhost', 'http://localhost:9000'),
                      ('https', 'https://s3.example.com')):
        add('endpoint-%s' % slug, 'e/${filename}', endpoint=url)
        add('endpoint-%s-path-token' % slug, 'e/${filename}', endpoint=url, addressing='path',
            token=TOKEN_B, region='us-west-2')
        add('endpoint-%s-virtual' % slug, 'e/${filename}', endpoint=url, addressing='virtual')


# ---------------------------------------------------------------------------
# Running.
# ---------------------------------------------------------------------------
_SESSION = botocore.session.get_session()
_CLIENTS = {}


def client_for(case):
    key = (case['region'], case['creds'], case['token'], case['endpoint'], case['addressing'])
    if key not in _CLIENTS:
        s3 = {'addressing_style': case['addressing']} if case['addressing'] else None
        _CLIENTS[key] = _SESSION.create_client(
            's3',
            region_name=case['region'],
            endpoint_url=case['endpoint'],
            aws_access_key_id=case['creds'][0],
            aws_secret_access_key=case['creds'][1],
            aws_session_token=case['token'],
            config=Config(signature_version='s3v4', s3=s3),
        )
    return _CLIENTS[key]


def case_input(case):
    out = {'bucket': case['bucket'], 'key': case['key']}
    if case['conditions'] is not None:
        out['conditions'] = case['conditions']
    if case['fields'] is not None:
        out['fields'] = case['fields']
    if case['expires'] is not None:
        out['expires'] = case['expires']
    out['region'] = case['region']
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
    out['signingDate'] = case['date']
    return out


def run_case(case):
    client = client_for(case)
    kwargs = {'Bucket': case['bucket'], 'Key': case['key']}
    if case['fields'] is not None:
        kwargs['Fields'] = copy.deepcopy(case['fields'])
    if case['conditions'] is not None:
        kwargs['Conditions'] = copy.deepcopy(case['conditions'])
    if case['expires'] is not None:
        kwargs['ExpiresIn'] = case['expires']
    _CLOCK.now = datetime.datetime.strptime(case['date'], '%Y-%m-%dT%H:%M:%SZ')
    try:
        result = client.generate_presigned_post(**kwargs)
    except Exception as exc:  # botocore refused the input
        return {'error': '%s: %s' % (type(exc).__name__, ' '.join(str(exc).split()))}
    finally:
        _CLOCK.now = None
    fields = result['fields']
    document = base64.b64decode(fields['policy']).decode('utf-8')
    return {'url': result['url'], 'fields': fields, 'policyDocument': document}


def generate():
    build_cases()
    names = set()
    cases = []
    for case in CASES:
        if case['name'] in names:
            raise ValueError('duplicate case name %s' % case['name'])
        names.add(case['name'])
        cases.append({'name': case['name'], 'input': case_input(case), 'output': run_case(case)})
    return {
        'generator': GENERATOR,
        'sdk': {'botocore': botocore.__version__, 'boto3': boto3.__version__},
        'cases': cases,
    }


def main(argv):
    _sandbox.write_vectors('post.py', 'botocore-post.json', argv, generate)


if __name__ == '__main__':
    main(sys.argv)
