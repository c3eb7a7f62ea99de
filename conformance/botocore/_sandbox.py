"""Shared set-up of the botocore generators (presign.py, post.py).

isolate() must run before botocore is imported: it drops every AWS_* and
BOTO_* variable (region, endpoint, profile, credential settings ...), points
the config and credentials files at /dev/null, sends HOME to a directory
that does not exist so ~/.aws is never read, and turns off the awscrt signer
that Debian's awscli pulls in (the vectors are of botocore's own signer).
"""

import datetime
import json
import os
import sys
import types


def isolate():
    for name in list(os.environ):
        if name.startswith('AWS_') or name.startswith('BOTO_'):
            del os.environ[name]
    os.environ['BOTO_DISABLE_CRT'] = 'true'
    os.environ['AWS_CONFIG_FILE'] = '/dev/null'
    os.environ['AWS_SHARED_CREDENTIALS_FILE'] = '/dev/null'
    os.environ['AWS_EC2_METADATA_DISABLED'] = 'true'
    os.environ['HOME'] = '/nonexistent-presign-conformance-home'


def import_failed(script, exc):
    sys.exit(
        '%s: cannot import boto3/botocore (%s).\n'
        'Run it with /usr/bin/python3 after scripts/install-deps.sh '
        '(Debian package python3-boto3).' % (script, exc)
    )


def check_debian(script, botocore):
    """Warns when botocore is not Debian's, which made the committed vectors."""
    if not os.path.abspath(botocore.__file__).startswith('/usr/lib/python3/dist-packages/'):
        print(
            '%s: warning: using botocore %s from %s, not Debian\'s '
            'python3-botocore; the committed vectors come from /usr/bin/python3.'
            % (script, botocore.__version__, os.path.dirname(botocore.__file__)),
            file=sys.stderr,
        )


def require_signer(script, auth_module, auth_type, cls):
    """Refuses to run when another signer (awscrt's) would sign auth_type."""
    if auth_module.AUTH_TYPE_MAPS.get(auth_type) is not cls:
        sys.exit(
            '%s: %s is not botocore.auth.%s (awscrt installed?); '
            'refusing to generate vectors from another signer.' % (script, auth_type, cls.__name__)
        )


class Clock:
    """A pinned clock for botocore modules that read datetime.datetime.utcnow().

    Set .now to the case's naive UTC datetime; patch(module) gives the module
    a copy of the datetime module whose datetime class reads it. With strict,
    reading the clock outside a case (now is None) is an error.
    """

    def __init__(self, strict=False):
        self.now = None
        clock = self

        class PinnedDatetime(datetime.datetime):
            @classmethod
            def utcnow(cls):
                if strict and clock.now is None:
                    raise RuntimeError('clock read outside a case')
                return clock.now

            @classmethod
            def now(cls, tz=None):
                if strict and clock.now is None:
                    raise RuntimeError('clock read outside a case')
                if tz is None:
                    return clock.now
                return clock.now.replace(tzinfo=datetime.timezone.utc).astimezone(tz)

        self.module = types.ModuleType('datetime')
        self.module.__dict__.update(datetime.__dict__)
        self.module.datetime = PinnedDatetime

    def patch(self, module):
        module.datetime = self.module


def write_vectors(script, default_name, argv, generate):
    """The generators' command line: [OUTFILE|-], default testdata/sdk/NAME.

    Writes the document generate() returns as 2-space JSON with a trailing
    newline, through a temporary file replaced in one step.
    """
    if len(argv) > 2:
        sys.exit('usage: /usr/bin/python3 %s [OUTFILE|-]' % script)
    if len(argv) == 2:
        out_path = argv[1]
    else:
        here = os.path.dirname(os.path.abspath(__file__))
        out_path = os.path.join(here, '..', '..', 'testdata', 'sdk', default_name)
    doc = generate()
    text = json.dumps(doc, indent=2, ensure_ascii=False) + '\n'
    if out_path == '-':
        sys.stdout.write(text)
        return
    tmp = out_path + '.tmp'
    with open(tmp, 'w', encoding='utf-8', newline='\n') as fh:
        fh.write(text)
    os.replace(tmp, out_path)
    errors = sum(1 for c in doc['cases'] if 'error' in c['output'])
    sdk = doc['sdk']
    print('wrote %s: %d cases (%d errors), botocore %s, boto3 %s'
          % (out_path, len(doc['cases']), errors, sdk['botocore'], sdk['boto3']),
          file=sys.stderr)
