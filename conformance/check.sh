#!/usr/bin/env bash
# Re-runs every SDK vector generator and fails if what the real SDKs produce
# now differs from the vectors committed in testdata/sdk/. Vectors are never
# edited by hand: regenerate them with the commands in conformance/*/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
# The CRT's SigV4a signatures (js-mrap.json) are randomised ECDSA: for
# that file every byte but the X-Amz-Signature values must match.
unsig() { # unsig NAME < FILE
  case $1 in
    js-mrap.json) sed -E 's/X-Amz-Signature=[0-9a-f]+/X-Amz-Signature=(randomised)/g' ;;
    *) cat ;;
  esac
}
same() { cmp -s <(unsig "$1" <"$tmp/$1") <(unsig "$1" <"testdata/sdk/$1"); }
check() { # check NAME COMMAND... ; the command writes to $tmp/NAME
  local name=$1; shift
  if ! "$@" "$tmp/$name" >"$tmp/$name.log" 2>&1; then
    echo "conformance: generator for $name failed:"; cat "$tmp/$name.log"; fail=1; return
  fi
  if same "$name"; then
    echo "conformance: testdata/sdk/$name matches the SDK"
  else
    echo "conformance: testdata/sdk/$name DRIFTED from what the SDK produces now:"
    diff <(python3 -m json.tool "testdata/sdk/$name" | unsig "$name") <(python3 -m json.tool "$tmp/$name" | unsig "$name") | head -40 || true
    fail=1
  fi
}
js() { (cd conformance/js && node "$1" "$2"); }
[ -f conformance/js/presign.mjs ] && check js-presign.json js presign.mjs
[ -f conformance/js/post.mjs ] && check js-post.json js post.mjs
[ -f conformance/js/sigv4a.mjs ] && check js-sigv4a.json js sigv4a.mjs
[ -f conformance/js/mrap.mjs ] && check js-mrap.json js mrap.mjs
[ -f conformance/botocore/presign.py ] && check botocore-presign.json /usr/bin/python3 conformance/botocore/presign.py
[ -f conformance/botocore/post.py ] && check botocore-post.json /usr/bin/python3 conformance/botocore/post.py
[ -f conformance/botocore/sigv2.py ] && check botocore-sigv2.json /usr/bin/python3 conformance/botocore/sigv2.py
exit $fail
