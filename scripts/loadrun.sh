#!/usr/bin/env bash
# The load run of the URL-issuing API (issue 5): POST /v1/uploads of
# presign serve against two peers doing the same work, each on 127.0.0.1:
#
#   express  bench/peers/express: the tutorial's Express endpoint with
#            @aws-sdk/s3-request-presigner (node)
#   gosdk    bench/peers/gosdk: net/http with aws-sdk-go-v2's PresignClient
#   presign  presign serve, local mode, on its embedded store
#
# All three check a bearer API key, validate the same JSON body, and sign a
# PUT URL for a fresh uuid key with Content-Type and Content-Length, with the
# same static credentials, for the same store (presign's embedded store,
# which is started with those credentials: before loading, one URL of each
# server is used for a real upload and must be accepted, and refused with
# another Content-Type).
#
# For each server: a warm-up, then wrk at 64 and 1024 connections, then hey
# at 64 connections (hey's latency percentiles are the ones to trust when
# the CPU saturates; see BENCHMARKS.md). It prints a table and stops all it
# started. Not part of the test command: it takes about
# 3 x (WARMUP + 3 x DURATION) plus the builds, and its figures depend on the
# machine's load.
#
#   bash scripts/loadrun.sh                  # DURATION=10s each
#   DURATION=5s SERVERS="presign gosdk" bash scripts/loadrun.sh
#   PIN=1 bash scripts/loadrun.sh            # server on CPU 0, load on CPU 1
#
# Needs: go, node + npm, wrk (Debian package), hey
# (go install github.com/rakyll/hey@v0.1.5), curl. scripts/install-deps.sh
# installs them.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
CONNS=${CONNS:-"64 1024"}
HEY_CONNS=${HEY_CONNS:-64}
SERVERS=${SERVERS:-"express gosdk presign"}
PIN=${PIN:-0}
# Each started process is stopped by the script; timeout is the backstop
# should the script itself be killed.
LIFETIME=${LIFETIME:-900}

for tool in go node npm wrk curl; do
  command -v "$tool" >/dev/null || { echo "loadrun: $tool is missing; run bash scripts/install-deps.sh" >&2; exit 1; }
done
HEY=$(command -v hey || echo "$(go env GOPATH)/bin/hey")
[ -x "$HEY" ] || { echo "loadrun: hey is missing: go install github.com/rakyll/hey@v0.1.5" >&2; exit 1; }

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
tmp=$(mktemp -d /tmp/presign-loadrun.XXXXXX)
pids=()
# pids are the timeout processes started; each has the server as its child,
# and passes SIGTERM on to it. Whatever is left after 5 s is killed.
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

# The static credentials every server signs with (AWS's documentation keys)
# and the API key every server accepts.
export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY

echo "== building"
go build -o "$tmp/presign" ./cmd/presign
(cd bench && go build -o "$tmp/gosdk" ./peers/gosdk)
if [ ! -d bench/peers/express/node_modules ]; then (cd bench/peers/express && npm ci --no-audit --no-fund --loglevel=error); fi

# wait_line FILE REGEX: the first match of REGEX in FILE, within 30 s.
wait_line() {
  for _ in $(seq 300); do
    if m=$(grep -oE "$2" "$1" 2>/dev/null | head -1) && [ -n "$m" ]; then echo "$m"; return 0; fi
    sleep 0.1
  done
  echo "loadrun: no '$2' in $1 within 30s:" >&2; cat "$1" >&2; return 1
}

# presign serve: the API under test and the store every URL is checked on.
"${server_cpu[@]}" timeout "$LIFETIME" "$tmp/presign" serve --addr 127.0.0.1:0 --s3-addr 127.0.0.1:0 --data "$tmp/data" \
  --access-key "$AWS_ACCESS_KEY_ID" --secret-key "$AWS_SECRET_ACCESS_KEY" --quiet --audit-log /dev/null >"$tmp/presign.out" 2>&1 &
pids+=($!)
launcher_presign=$!
url_presign=$(wait_line "$tmp/presign.out" 'API and upload page listening on http://[0-9.:]+' | grep -oE 'http://[0-9.:]+')
store=$(wait_line "$tmp/presign.out" 'S3 store listening on http://[0-9.:]+' | grep -oE 'http://[0-9.:]+')
API_KEY=$(wait_line "$tmp/presign.out" 'psk_[A-Za-z0-9_-]+')
export API_KEY

if [[ " $SERVERS " == *" gosdk "* ]]; then
  "${server_cpu[@]}" timeout "$LIFETIME" "$tmp/gosdk" -addr 127.0.0.1:0 -store "$store" >"$tmp/gosdk.out" 2>&1 &
  pids+=($!)
  launcher_gosdk=$!
  url_gosdk=$(wait_line "$tmp/gosdk.out" 'listening on http://[0-9.:]+' | grep -oE 'http://[0-9.:]+')
fi
if [[ " $SERVERS " == *" express "* ]]; then
  (cd bench/peers/express && PORT=0 STORE_URL="$store" NODE_ENV=production exec "${server_cpu[@]}" timeout "$LIFETIME" node server.mjs) >"$tmp/express.out" 2>&1 &
  pids+=($!)
  launcher_express=$!
  url_express=$(wait_line "$tmp/express.out" 'listening on http://[0-9.:]+' | grep -oE 'http://[0-9.:]+')
fi

body='{"filename":"cat.jpg","contentType":"image/jpeg","size":48213}'
issue() { curl -sS -m 10 -X POST "$1/v1/uploads" -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' -d "$2"; }

# Fairness: each server's URL really uploads, and only with its type.
echo "== each server's URL works on the store"
for s in $SERVERS; do
  var=url_$s
  ans=$(issue "${!var}" '{"filename":"hello.txt","contentType":"text/plain","size":5}')
  put=$(printf '%s' "$ans" | node -e 'const a=JSON.parse(require("fs").readFileSync(0,"utf8")); if (a.method!=="PUT"||a.headers["Content-Type"]!=="text/plain"||a.headers["Content-Length"]!=="5"||!/^local\//.test(a.key)) process.exit(1); console.log(a.url)') \
    || { echo "loadrun: $s answered $ans" >&2; exit 1; }
  ok=$(printf hello | curl -sS -m 10 -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: text/plain' --data-binary @- "$put")
  bad=$(printf hello | curl -sS -m 10 -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: text/html' --data-binary @- "$put")
  echo "  $s: upload $ok, with another Content-Type $bad; signed: $(printf '%s' "$put" | grep -oE 'X-Amz-SignedHeaders=[^&]+')"
  [ "$ok" = 200 ] && [ "$bad" = 403 ] || { echo "loadrun: $s's URL is not what it should be" >&2; exit 1; }
done

cat >"$tmp/post.lua" <<EOF
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $API_KEY"
EOF

# to_ms VALUE: wrk's "1.23ms" / "456.78us" / "1.02s" in milliseconds.
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'; }

# cpu_ticks PID: the user + system CPU time of a process (all its threads),
# in clock ticks. The server is the child of the timeout process started.
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
hz=$(getconf CLK_TCK)
# busy_ticks: the CPU time the whole machine spent busy (every process).
busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
# child_ticks: the CPU time of this shell's finished children (the load
# tools), from bash's times, which must run in this shell, not a subshell.
child_ticks() {
  times >"$tmp/times"
  tail -1 "$tmp/times" | awk -v hz="$hz" '{ t = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] } printf "%.0f", t * hz }'
}
# snapshot: server, load tool and machine CPU ticks before a run; elapsed
# sets ticks to the differences after it: "server load machine".
snapshot() { s0=$(cpu_ticks "$spid"); child_ticks >"$tmp/l0"; b0=$(busy_ticks); }
elapsed() {
  local s1 b1
  s1=$(cpu_ticks "$spid"); b1=$(busy_ticks); child_ticks >"$tmp/l1"
  ticks="$((s1 - s0)) $(($(cat "$tmp/l1") - $(cat "$tmp/l0"))) $((b1 - b0))"
}

# record SERVER TOOL CONNS REQUESTS SECONDS "TICKS" RPS MEAN_MS P50_MS P99_MS ERRORS:
# one result line, with the wrk sanity rule (req/s x mean latency cannot
# exceed the connections), the server's CPU use, and the cores the load
# tool and everything else on the machine (other jobs) took meanwhile.
results=()
record() {
  local load sane cores us tool others
  read -r st lt bt <<<"$6"
  load=$(awk -v r="$7" -v a="$8" 'BEGIN { printf "%.0f", r * a / 1000 }')
  sane=$(awk -v l="$load" -v c="$3" 'BEGIN { print (l <= c * 1.05) ? "yes" : "NO" }')
  cores=$(awk -v t="$st" -v hz="$hz" -v d="$5" 'BEGIN { printf "%.2f", t / hz / d }')
  us=$(awk -v t="$st" -v hz="$hz" -v n="$4" 'BEGIN { printf "%.0f", t / hz * 1e6 / n }')
  tool=$(awk -v t="$lt" -v hz="$hz" -v d="$5" 'BEGIN { printf "%.2f", t / hz / d }')
  others=$(awk -v b="$bt" -v s="$st" -v t="$lt" -v hz="$hz" -v d="$5" 'BEGIN { o = (b - s - t) / hz / d; printf "%.2f", o < 0 ? 0 : o }')
  results+=("$1|$2|$3|$7|$8|$9|${10}|${11}|$load|$sane|$cores|$us|$tool|$others")
}

echo "== load (duration $DURATION per run, $(nproc) CPUs, PIN=$PIN)"
for s in $SERVERS; do
  var=url_$s; url=${!var}/v1/uploads
  var=launcher_$s; spid=$(pgrep -P "${!var}" | head -1)
  [ -n "$spid" ] || { echo "loadrun: no $s process" >&2; exit 1; }
  echo "-- $s ($url, pid $spid), $(uptime | sed 's/.*load/load/')"
  "${load_cpu[@]}" timeout 60 wrk -t2 -c64 -d"$WARMUP" -s "$tmp/post.lua" "$url" >/dev/null
  for c in $CONNS; do
    snapshot
    out=$("${load_cpu[@]}" timeout 300 wrk -t2 -c"$c" -d"$DURATION" --timeout 10s --latency -s "$tmp/post.lua" "$url")
    elapsed
    echo "$out" | sed 's/^/   /'
    n=$(echo "$out" | awk '/requests in/ { print $1 }')
    secs=$(echo "$out" | awk '/requests in/ { sub(/s,$/, "", $4); print $4 }')
    rps=$(echo "$out" | awk '/^Requests\/sec/ { print $2 }')
    avg=$(to_ms "$(echo "$out" | awk '/^ +Latency / { print $2; exit }')")
    p50=$(to_ms "$(echo "$out" | awk '$1 == "50%" { print $2 }')")
    p99=$(to_ms "$(echo "$out" | awk '$1 == "99%" { print $2 }')")
    errs=$(echo "$out" | awk '/Non-2xx/ { n += $NF } /Socket errors/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }')
    record "$s" wrk "$c" "$n" "$secs" "$ticks" "$rps" "$avg" "$p50" "$p99" "$errs"
  done
  for c in $HEY_CONNS; do
    snapshot
    out=$("${load_cpu[@]}" timeout 300 "$HEY" -z "$DURATION" -c "$c" -m POST -T application/json -H "Authorization: Bearer $API_KEY" -d "$body" "$url")
    elapsed
    # hey 0.1.5 prints "50%% in": its template goes through printf twice.
    echo "$out" | sed -n '/Summary/,/Requests\/sec/p;/^ *\(50\|90\|99\)%/p;/Status code/,$p' | sed 's/^/   /'
    secs=$(echo "$out" | awk '/Total:/ { print $2; exit }')
    rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
    n=$(awk -v r="$rps" -v d="$secs" 'BEGIN { printf "%.0f", r * d }')
    avg=$(echo "$out" | awk '/Average:/ { printf "%.2f", $2 * 1000 }')
    p50=$(echo "$out" | awk '$1 ~ /^50%+$/ && $2 == "in" { printf "%.2f", $3 * 1000 }')
    p99=$(echo "$out" | awk '$1 ~ /^99%+$/ && $2 == "in" { printf "%.2f", $3 * 1000 }')
    # Non-200 statuses, and the counts of the error distribution.
    errs=$(echo "$out" | awk '/Status code distribution/ { sec = "status"; next } /Error distribution/ { sec = "error"; next }
      sec == "status" && /^ +\[[0-9]+\]/ { if ($1 != "[200]") n += $2 }
      sec == "error" && /^ +\[[0-9]+\]/ { gsub(/[][]/, "", $1); n += $1 } END { print n + 0 }')
    record "$s" hey "$c" "$n" "$secs" "$ticks" "$rps" "$avg" "$p50" "$p99" "$errs"
  done
done

echo
echo "== results ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, $(uptime | sed 's/.*load/load/'))"
echo "| server | tool | conns | req/s | mean ms | p50 ms | p99 ms | errors | req/s x mean | sane | server cores | server µs/req | tool cores | other jobs' cores |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |"
for r in "${results[@]}"; do
  IFS='|' read -r s tool c rps avg p50 p99 errs load sane cores us tc oc <<<"$r"
  printf '| %s | %s | %s | %.0f | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$s" "$tool" "$c" "$rps" "$avg" "$p50" "$p99" "$errs" "$load" "$sane" "$cores" "$us" "$tc" "$oc"
done
# field SERVER TOOL CONNS N: the Nth field of that result (4 req/s, 12 µs/req).
field() {
  local r
  for r in "${results[@]}"; do
    if [[ "$r" == "$1|$2|$3|"* ]]; then echo "$r" | cut -d'|' -f"$4"; fi
  done
  return 0
}
echo
for c in $CONNS; do
  p=$(field presign wrk "$c" 4)
  for peer in express gosdk; do
    q=$(field "$peer" wrk "$c" 4)
    if [ -n "$p" ] && [ -n "$q" ]; then
      awk -v p="$p" -v q="$q" -v c="$c" -v n="$peer" -v pu="$(field presign wrk "$c" 12)" -v qu="$(field "$peer" wrk "$c" 12)" \
        'BEGIN { printf "presign / %s at %s connections: %.1fx the req/s (wrk), %.1fx less server CPU per request\n", n, c, p / q, qu / pu }'
    fi
  done
done
