#!/usr/bin/env bash
# The test command: installs what the tests need (scripts/install-deps.sh),
# then checks formatting, vets, re-runs the SDK generators against the
# committed vectors, and runs every test with the race detector.
#
#   bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt would change: $unformatted"; exit 1; fi

echo "== go vet"
go vet ./...
if [ -f bench/go.mod ]; then (cd bench && go vet ./...); fi

echo "== SDK vectors are current"
bash conformance/check.sh

echo "== go test -race"
go test -race -count=1 ./...
if [ -f bench/go.mod ]; then (cd bench && go test -count=1 ./...); fi
echo "== all tests passed"
