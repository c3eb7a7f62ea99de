#!/usr/bin/env bash
# The hostile load run of issue 9: do requests as large as presign serve's
# limits let through slow down normal traffic? The issue's criterion: 4
# hostile requests of each kind at the limit, in parallel with normal
# traffic, change the normal p50 latency by less than 2x.
#
# It builds presign and bench/cmd/hostileload, starts presign serve (local
# mode, on 127.0.0.1, with known static store credentials and a fresh data
# directory), and runs hostileload against it: phases of DURATION each of
# normal traffic (presigned GETs of a 1 KiB object on the store and POST
# /v1/uploads on the API, NORMAL clients of each at NORMAL_RATE requests a
# second each), first alone, then with HOSTILE clients for each hostile
# kind at the limit, flat out, then one step over it, then alone again.
# The kinds (the doc comment of bench/cmd/hostileload/main.go says how
# each is built): query parameters, signed-header names x unsigned x-amz
# headers, the signed-header names of an Authorization header, POST form
# fields, the API's JSON body, and a 10,000-part CompleteMultipartUpload. hostileload prints the hostile requests'
# answers, the normal latencies with the p50 ratio to the baseline and
# PASS/FAIL, and the server's CPU. It stops all it started.
#
# Not part of the test command: it takes about 4 x DURATION (plus
# PER_KIND's 12 x DURATION) plus the builds, and its figures depend on the
# machine's load.
#
#   bash scripts/hostile-loadrun.sh                 # DURATION=10s each
#   DURATION=5s NORMAL_RATE=0 bash scripts/hostile-loadrun.sh   # normal clients flat out
#   HOSTILE_RATE=2 bash scripts/hostile-loadrun.sh  # hostile clients paced: 2 req/s each
#   PER_KIND=1 bash scripts/hostile-loadrun.sh      # also each kind alone
#   PIN=1 bash scripts/hostile-loadrun.sh           # server on CPU 0, load on CPU 1
#   PROFILE=1 bash scripts/hostile-loadrun.sh       # perf profile of the server
#   KINDS=api-json,complete-parts bash scripts/hostile-loadrun.sh   # some kinds only
#
# Needs: go; perf for PROFILE=1 (Debian package linux-perf), taskset
# (util-linux) for PIN=1.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
NORMAL=${NORMAL:-4}
HOSTILE=${HOSTILE:-4}
# Requests per second of each normal client (paced, so that the baseline
# is an unloaded server's latency); 0 runs them flat out.
NORMAL_RATE=${NORMAL_RATE:-100}
# Requests per second of each hostile client; 0, the issue's run, runs
# them flat out: as many requests as the server answers.
HOSTILE_RATE=${HOSTILE_RATE:-0}
PER_KIND=${PER_KIND:-0}
# The hostile kinds of the limit and over phases; empty means all.
KINDS=${KINDS:-}
PIN=${PIN:-0}
PROFILE=${PROFILE:-0}
# Each started process is stopped by the script; timeout is the backstop
# should the script itself be killed.
LIFETIME=${LIFETIME:-1800}

command -v go >/dev/null || { echo "hostile-loadrun: go is missing" >&2; exit 1; }
if [ "$PROFILE" = 1 ]; then command -v perf >/dev/null || { echo "hostile-loadrun: perf is missing (PROFILE=1)" >&2; exit 1; }; fi

tmp=$(mktemp -d /tmp/presign-hostile.XXXXXX)
pids=()
# pids are the timeout processes started; each has its program as its
# child, and passes SIGTERM on to it. Whatever is left after 5 s is killed.
cleanup() {
  local pid children=()
  for pid in "${pids[@]}"; do
    children+=($(pgrep -P "$pid" || true))
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}" "${children[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

server_cpu=() load_cpu=()
if [ "$PIN" = 1 ]; then server_cpu=(taskset -c 0); load_cpu=(taskset -c 1); fi

# The static credentials of the store (AWS's documentation keys).
export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY

echo "== building"
go build -o "$tmp/presign" ./cmd/presign
(cd bench && go build -o "$tmp/hostileload" ./cmd/hostileload)

# wait_line FILE REGEX: the first match of REGEX in FILE, within 30 s.
wait_line() {
  for _ in $(seq 300); do
    if m=$(grep -oE "$2" "$1" 2>/dev/null | head -1) && [ -n "$m" ]; then echo "$m"; return 0; fi
    sleep 0.1
  done
  echo "hostile-loadrun: no '$2' in $1 within 30s:" >&2; cat "$1" >&2; return 1
}

# presign serve, local mode: the API and the store under load. No access
# log (the hostile requests would fill it), no audit log.
"${server_cpu[@]}" timeout "$LIFETIME" "$tmp/presign" serve --addr 127.0.0.1:0 --s3-addr 127.0.0.1:0 --data "$tmp/data" \
  --access-key "$AWS_ACCESS_KEY_ID" --secret-key "$AWS_SECRET_ACCESS_KEY" --quiet --audit-log /dev/null >"$tmp/presign.out" 2>&1 &
pids+=($!)
launcher=$!
api=$(wait_line "$tmp/presign.out" 'API and upload page listening on http://[0-9.:]+' | grep -oE 'http://[0-9.:]+')
store=$(wait_line "$tmp/presign.out" 'S3 store listening on http://[0-9.:]+' | grep -oE 'http://[0-9.:]+')
API_KEY=$(wait_line "$tmp/presign.out" 'psk_[A-Za-z0-9_-]+')
export API_KEY
spid=$(pgrep -P "$launcher" | head -1)
[ -n "$spid" ] || { echo "hostile-loadrun: no presign serve process" >&2; exit 1; }

phases=baseline,limit,over
if [ "$PER_KIND" = 1 ]; then
  all=${KINDS:-query-params,signed-names,header-auth,post-fields,api-json,complete-parts}
  for k in ${all//,/ }; do phases+=",limit:$k"; done
  for k in ${all//,/ }; do phases+=",over:$k"; done
fi
phases+=,baseline

if [ "$PROFILE" = 1 ]; then
  # The server has no pprof endpoint: perf samples it for the whole run.
  timeout "$LIFETIME" perf record -F 499 -g -p "$spid" -o "$tmp/perf.data" >"$tmp/perf.out" 2>&1 &
  pids+=($!)
  perf_launcher=$!
fi

echo "== presign serve pid $spid: API $api, store $store; $(nproc) CPUs, PIN=$PIN, $(uptime | sed 's/.*load/load/')"
echo "   command: DURATION=$DURATION NORMAL=$NORMAL HOSTILE=$HOSTILE NORMAL_RATE=$NORMAL_RATE HOSTILE_RATE=$HOSTILE_RATE PER_KIND=$PER_KIND KINDS=$KINDS PIN=$PIN bash scripts/hostile-loadrun.sh"
rc=0
"${load_cpu[@]}" timeout "$LIFETIME" "$tmp/hostileload" -store "$store" -api "$api" -pid "$spid" \
  -duration "$DURATION" -warmup "$WARMUP" -normal "$NORMAL" -hostile "$HOSTILE" -normal-rate "$NORMAL_RATE" -hostile-rate "$HOSTILE_RATE" \
  -phases "$phases" -kinds "$KINDS" || rc=$?

if [ "$PROFILE" = 1 ]; then
  kill -INT "$(pgrep -P "$perf_launcher" | head -1)" 2>/dev/null || true
  for _ in $(seq 100); do [ -s "$tmp/perf.data" ] && ! pgrep -P "$perf_launcher" >/dev/null && break; sleep 0.1; done
  echo
  echo "== perf: the server's hottest functions (self time)"
  perf report -i "$tmp/perf.data" --no-children --sort symbol --stdio 2>/dev/null | grep -E '^ +[0-9.]+%' | head -40 || true
fi
exit "$rc"
