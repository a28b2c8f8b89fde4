#!/bin/bash
# The runs of benchmarks.md "Requests before the mail workers, measured" and
# "What a reset costs with its email" (2026-12-03):
#   run.sh ACCOUNTD-BINARY LABEL CLIENTS
# starts accountd on a fresh SQLite file, runs accountd-bench ($BENCH, or on
# $PATH) once briefly to make the 256 accounts, then the measured
# reset-request row, which waits for the email queue to drain. Prints the
# row and accountd's CPU from just before the measured invocation to after
# the drain, per request: that includes the invocation's setup (signing in
# the 256 accounts again: 7.0–7.3 s of CPU, measured with -n 1, to be
# subtracted) and every email the row caused. With PROF_AT=N a 12 s CPU
# profile starts N seconds into the measured invocation.
set -u
bin=$(realpath "$1"); label=$2; c=$3
bench=${BENCH:-accountd-bench}
d=$PWD/bench-run-$label; rm -rf "$d"; mkdir -p "$d"
ACCOUNTD_ADDR=127.0.0.1:18080 ACCOUNTD_ADMIN_ADDR=127.0.0.1:19090 ACCOUNTD_DATABASE_URL="$d/bench.db" \
ACCOUNTD_RATE_LIMITS=off ACCOUNTD_RESET_EMAILS_PER_HOUR=1000000 ACCOUNTD_SMTP_URL=smtp://127.0.0.1:12525 \
ACCOUNTD_PPROF=true "$bin" serve -dev >"$d/out" 2>"$d/log" &
pid=$!
for _ in $(seq 100); do curl -fs http://127.0.0.1:19090/healthz >/dev/null && break; sleep 0.1; done
B=("$bench" -url http://127.0.0.1:18080 -admin-url http://127.0.0.1:19090 -smtp-listen 127.0.0.1:12525 -pid $pid)
"${B[@]}" -c 8 -duration 1s -floor-duration 1s reset-request >"$d/warm.txt" 2>&1
cpu() { awk '{print $14+$15}' /proc/$pid/stat; }   # clock ticks, 100 a second
t0=$(cpu)
prof=
if [ -n "${PROF_AT:-}" ]; then
  ( sleep "$PROF_AT"; curl -s -o "$d/cpu.pb.gz" "http://127.0.0.1:19090/debug/pprof/profile?seconds=12" ) &
  prof=$!
fi
"${B[@]}" -c "$c" -json-out "$d/r.json" reset-request >"$d/table.txt" 2>&1
t1=$(cpu)
[ -n "$prof" ] && wait "$prof"
kill $pid; wait $pid
n=$(python3 -c "import json;print(json.load(open('$d/r.json'))['rows'][0]['requests'])")
tail -1 "$d/table.txt"
python3 -c "print('accountd CPU from the invocation to the drain, per request: %.3f ms (%d requests)' % (($t1-$t0)/100/$n*1000, $n))"
