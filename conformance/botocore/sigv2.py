#!/usr/bin/python3
"""Known-answer vectors for S3 Signature Version 2, produced by real botocore.

Usage (from the repository root):

    /usr/bin/python3 conformance/botocore/sigv2.py testdata/sdk/botocore-sigv2.json

Debian's botocore (1.29) signs S3 requests with SigV2 for a custom endpoint
in us-east-1 unless told otherwise: presigned URLs ("s3-query",
HmacV1QueryAuth: AWSAccessKeyId, Expires, Signature) and the
"Authorization: AWS id:signature" header ("s3", HmacV1Auth). This script
makes both with botocore's own signers, the clock pinned, nothing sent (a
before-send handler captures each header-signed request and answers it),
and writes each case's request as the embedded store will receive it. The
store must accept every one and refuse every one-byte change to a signed
part (sigv2_test.go, s3server's SigV2 tests).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _sandbox  # noqa: E402

_sandbox.isolate()

import datetime  # noqa: E402
import email.utils  # noqa: E402
import logging  # noqa: E402

try:
    import boto3
    import botocore
    import botocore.auth
    import botocore.awsrequest
    import botocore.signers
    from botocore.config import Config
except ImportError as exc:  # pragma: no cover - environment problem
    _sandbox.import_failed('sigv2.py', exc)

GENERATOR = 'conformance/botocore/sigv2.py'
_sandbox.check_debian('sigv2.py', botocore)
_sandbox.require_signer('sigv2.py', botocore.auth, 's3', botocore.auth.HmacV1Auth)
_sandbox.require_signer('sigv2.py', botocore.auth, 's3-query', botocore.auth.HmacV1QueryAuth)

ACCESS_KEY = 'AKIDSIGV2EXAMPLE'
SECRET_KEY = 'sigv2/Secret+Key/EXAMPLE0123456789abcdef'
# The signing moment of every case: 2026-01-15 12:00:00 UTC.
NOW = 1768478400


class _PinnedTime:
    """botocore.auth's time module, reading NOW."""

    @staticmethod
    def time():
        return float(NOW)


botocore.auth.time = _PinnedTime
# generate_presigned_post reads datetime.datetime.utcnow() in botocore.signers.
_CLOCK = _sandbox.Clock()
_CLOCK.now = datetime.datetime.utcfromtimestamp(NOW)
_CLOCK.patch(botocore.signers)
botocore.auth.formatdate = lambda usegmt=True: email.utils.formatdate(NOW, usegmt=usegmt)

class _StringToSign(logging.Handler):
    """Keeps the string to sign botocore's signer logs (at DEBUG)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.last = None

    def emit(self, record):
        if record.msg == 'StringToSign:\n%s':
            self.last = record.args[0] if isinstance(record.args, tuple) else record.args


_STS = _StringToSign()
_auth_log = logging.getLogger('botocore.auth')
_auth_log.setLevel(logging.DEBUG)
_auth_log.addHandler(_STS)
_auth_log.propagate = False

ENDPOINTS = {
    'path': ('http://127.0.0.1:9000', 'path'),
    'virtual': ('http://localhost:9000', 'virtual'),
}


def client(signature_version, addressing):
    endpoint, style = ENDPOINTS[addressing]
    session = boto3.session.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name='us-east-1')
    return session.client('s3', endpoint_url=endpoint,
                          config=Config(signature_version=signature_version, s3={'addressing_style': style}))


PRESIGNED = [
    ('get', 'get_object', {'Key': 'photos/cat.jpg'}),
    ('get, a key to escape', 'get_object', {'Key': 'a b/c+d/ü~!$&\'()*,;=:@.txt'}),
    ('get, response overrides', 'get_object', {'Key': 'report.pdf', 'ResponseContentDisposition': 'attachment; filename="r e.pdf"', 'ResponseContentType': 'application/pdf'}),
    ('get, a version', 'get_object', {'Key': 'k', 'VersionId': 'null'}),
    ('head', 'head_object', {'Key': 'photos/cat.jpg'}),
    ('put', 'put_object', {'Key': 'uploads/new.bin'}),
    ('put, a content type', 'put_object', {'Key': 'uploads/a.png', 'ContentType': 'image/png'}),
    ('put, metadata', 'put_object', {'Key': 'uploads/m.txt', 'Metadata': {'owner': 'Ada', 'note': 'x y'}}),
    ('delete', 'delete_object', {'Key': 'old.txt'}),
    ('upload a part', 'upload_part', {'Key': 'big.bin', 'UploadId': 'abc+def/ghi=', 'PartNumber': 3}),
    ('list parts', 'list_parts', {'Key': 'big.bin', 'UploadId': 'abc'}),
    ('start a multipart upload', 'create_multipart_upload', {'Key': 'big.bin'}),
    ('list the bucket', 'list_objects', {'Prefix': 'photos/', 'Delimiter': '/'}),
]

SIGNED = [
    ('get', 'get_object', {'Key': 'photos/cat.jpg'}, b''),
    ('get, a key to escape', 'get_object', {'Key': 'a b/c+d/ü.txt'}, b''),
    ('put with a body, type, MD5 and metadata', 'put_object',
     {'Key': 'uploads/a.txt', 'Body': b'hello', 'ContentType': 'text/plain', 'ContentMD5': 'XUFAKrxLKna5cZ2REBfFkg==', 'Metadata': {'owner': 'Ada'}}, b'hello'),
    ('delete', 'delete_object', {'Key': 'old.txt'}, b''),
    ('list v2', 'list_objects_v2', {'Prefix': 'photos/'}, b''),
    ('start a multipart upload', 'create_multipart_upload', {'Key': 'big.bin'}, b''),
    ('get the bucket ACL', 'get_bucket_acl', {}, b''),
    ('head the bucket', 'head_bucket', {}, b''),
]


def presigned_cases():
    cases = []
    for addressing in ('path', 'virtual'):
        for name, op, params in PRESIGNED:
            c = client('s3', addressing)  # presigning with 's3' uses s3-query
            _STS.last = None
            url = c.generate_presigned_url(op, Params={'Bucket': 'sigv2-bucket', **params}, ExpiresIn=900)
            method = {'get_object': 'GET', 'head_object': 'HEAD', 'put_object': 'PUT', 'delete_object': 'DELETE',
                      'upload_part': 'PUT', 'list_parts': 'GET', 'create_multipart_upload': 'POST', 'list_objects': 'GET'}[op]
            headers = []
            if params.get('ContentType'):
                headers.append(['Content-Type', params['ContentType']])
            cases.append({'name': 'presigned %s (%s)' % (name, addressing),
                          'input': {'operation': op, 'params': {k: v for k, v in params.items()}, 'addressing': addressing},
                          'output': {'kind': 'query', 'method': method, 'url': url, 'headers': headers, 'stringToSign': _STS.last,
                                     'bucket': 'sigv2-bucket', 'virtual': addressing == 'virtual', 'now': NOW + 60}})
    return cases


class _Captured(Exception):
    pass


def signed_cases():
    cases = []
    for addressing in ('path', 'virtual'):
        for name, op, params, body in SIGNED:
            c = client('s3', addressing)
            captured = {}

            def before_send(request, **kwargs):
                captured['method'] = request.method
                captured['url'] = request.url
                captured['headers'] = [[k.decode() if isinstance(k, bytes) else str(k), v.decode() if isinstance(v, bytes) else str(v)]
                                       for k, v in request.headers.items()]
                return botocore.awsrequest.AWSResponse(request.url, 200, {}, _Raw())

            c.meta.events.register('before-send.s3', before_send)
            _STS.last = None
            try:
                getattr(c, op)(Bucket='sigv2-bucket', **params)
            except Exception:
                pass  # the canned answer may not parse; the request is what counts
            # The SDK's own bookkeeping headers (random invocation ids) are
            # neither signed nor deterministic: left out.
            headers = [h for h in captured['headers']
                       if h[0].lower() not in ('user-agent', 'content-length', 'expect') and not h[0].lower().startswith('amz-sdk-')]
            cases.append({'name': 'signed %s (%s)' % (name, addressing),
                          'input': {'operation': op, 'params': {k: (v.decode() if isinstance(v, bytes) else v) for k, v in params.items()}, 'addressing': addressing},
                          'output': {'kind': 'header', 'method': captured['method'], 'url': captured['url'], 'headers': headers, 'stringToSign': _STS.last,
                                     'body': body.decode(), 'bucket': 'sigv2-bucket', 'virtual': addressing == 'virtual', 'now': NOW + 60}})
    return cases


class _Raw:
    def stream(self, **kwargs):
        yield b''

    def read(self, *a, **k):
        return b''


POSTS = [
    ('a key', {'Key': 'uploads/form.txt'}),
    ('${filename}, a type prefix and a size range', {'Key': 'uploads/${filename}', 'Fields': {'Content-Type': 'image/png'},
        'Conditions': [['starts-with', '$Content-Type', 'image/'], ['content-length-range', 1, 1048576]]}),
    ('a redirect and metadata', {'Key': 'uploads/r.txt', 'Fields': {'success_action_redirect': 'https://app.example.com/done', 'x-amz-meta-owner': 'Ada'},
        'Conditions': [{'success_action_redirect': 'https://app.example.com/done'}, {'x-amz-meta-owner': 'Ada'}]}),
]


def post_cases():
    cases = []
    for addressing in ('path', 'virtual'):
        for name, params in POSTS:
            c = client('s3', addressing)
            form = c.generate_presigned_post('sigv2-bucket', params['Key'], Fields=params.get('Fields'),
                                             Conditions=params.get('Conditions'), ExpiresIn=900)
            cases.append({'name': 'post %s (%s)' % (name, addressing),
                          'input': {'params': params, 'addressing': addressing},
                          'output': {'kind': 'post', 'method': 'POST', 'url': form['url'], 'fields': form['fields'],
                                     'bucket': 'sigv2-bucket', 'virtual': addressing == 'virtual', 'now': NOW + 60}})
    return cases


def generate():
    return {
        'generator': GENERATOR,
        'sdk': {'botocore': botocore.__version__, 'boto3': boto3.__version__},
        'credentials': {'accessKeyId': ACCESS_KEY, 'secretAccessKey': SECRET_KEY},
        'cases': presigned_cases() + signed_cases() + post_cases(),
    }


if __name__ == '__main__':
    _sandbox.write_vectors('sigv2.py', 'botocore-sigv2.json', sys.argv, generate)
