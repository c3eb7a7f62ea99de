#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian machine, and nothing
# that is already there: Debian packages (apt-get update runs only when one
# is missing), the pinned npm packages of the conformance generators, of
# the browser test and of the S3 clients' test (s3server/e2e/js), and the
# Go modules of both modules.
#
#   bash scripts/install-deps.sh
#
# Debian packages and why:
#   python3-boto3  real botocore, for conformance/botocore (run with /usr/bin/python3)
#   chromium       the browser of the upload page's test (web/e2e), driven by
#                  playwright-core, which cannot download browsers here
#   awscli         the AWS CLI v2 (/usr/bin/aws), a real client of the embedded
#                  S3 server in s3server/e2e; it pulls in python3-awscrt, which
#                  botocore then signs with (conformance/botocore opts out)
#   curl           uses the presigned URLs and POST forms in s3server/e2e
#   wrk            the load generator of scripts/loadrun.sh (not a test)
#   tmux           a real terminal, 80 columns wide, for the check that
#                  presign inspect fits it (cmd/presign TestInspectInTmux), and
#                  that the transfer progress bar draws (TestTransferProgressInTmux)
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(python3-boto3 chromium tmux awscli curl wrk)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || { echo "install-deps: apt-get not found; install these Debian packages: ${missing[*]}" >&2; exit 1; }
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    SUDO=(sudo)
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  ${SUDO[@]+"${SUDO[@]}"} apt-get update -qq
  ${SUDO[@]+"${SUDO[@]}"} apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "install-deps: Debian packages present: ${PACKAGES[*]}"
fi

# npm packages, exactly as locked: npm ci unless node_modules already holds
# what the lock file locks (npm's hidden lock file lists the same packages,
# without the root entry).
locked_current() {
  [ -f "$1/node_modules/.package-lock.json" ] && node -e '
    const fs = require("fs");
    const [lock, installed] = process.argv.slice(1).map((f) => JSON.parse(fs.readFileSync(f, "utf8")).packages);
    delete lock[""];
    process.exit(JSON.stringify(lock) === JSON.stringify(installed) ? 0 : 1);
  ' "$1/package-lock.json" "$1/node_modules/.package-lock.json"
}
for dir in conformance/js web/e2e s3server/e2e/js; do
  if ! locked_current "$dir"; then
    echo "install-deps: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done

# Tools built from the Go module proxy, each skipped when already on PATH or
# in $(go env GOPATH)/bin: minio, the real S3 server of the e2e/serve test
# (a large build, about 5 minutes on 2 busy CPUs, done once), and hey, the
# latency tool of scripts/loadrun.sh. Pinned: what @latest gave on
# 2026-11-25 (MinIO's module has only pseudo-versions).
go_tool() { # NAME MODULE@VERSION
  if command -v "$1" >/dev/null || [ -x "$(go env GOPATH)/bin/$1" ]; then return 0; fi
  echo "install-deps: go install $2"
  GOFLAGS=-mod=mod go install "$2"
}
go_tool minio github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c
go_tool hey github.com/rakyll/hey@v0.1.5

# Go modules.
go mod download
if [ -f bench/go.mod ]; then (cd bench && go mod download); fi
echo "install-deps: done"
