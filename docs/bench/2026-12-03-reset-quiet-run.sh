#!/bin/bash
# The runs of benchmarks.md "Quiet morning rerun (2026-12-03)":
#   run.sh ACCOUNTD-BINARY LABEL [accountd-bench flags]
# starts accountd on a fresh SQLite file with its profiles on, takes an 8 s
# CPU profile while accountd-bench (on $PATH, or $BENCH) runs reset-request,
# and leaves r.json and cpu.pb.gz in ./bench-run-LABEL. Settings such as
# ACCOUNTD_MAIL_WORKERS=1 pass through the environment.
set -u
bin=$(realpath "$1"); label=$2; shift 2
bench=${BENCH:-accountd-bench}
d=$PWD/bench-run-$label; rm -rf "$d"; mkdir -p "$d"
ACCOUNTD_ADDR=127.0.0.1:18080 ACCOUNTD_ADMIN_ADDR=127.0.0.1:19090 ACCOUNTD_DATABASE_URL="$d/bench.db" \
ACCOUNTD_RATE_LIMITS=off ACCOUNTD_RESET_EMAILS_PER_HOUR=1000000 ACCOUNTD_SMTP_URL=smtp://127.0.0.1:12525 \
ACCOUNTD_PPROF=true "$bin" serve -dev >"$d/out" 2>"$d/log" &
pid=$!
for _ in $(seq 100); do curl -fs http://127.0.0.1:19090/healthz >/dev/null && break; sleep 0.1; done
( sleep 8; curl -s -o "$d/cpu.pb.gz" "http://127.0.0.1:19090/debug/pprof/profile?seconds=8" ) &
"$bench" -url http://127.0.0.1:18080 -admin-url http://127.0.0.1:19090 \
  -smtp-listen 127.0.0.1:12525 -pid $pid -label "$label" -json-out "$d/r.json" "$@" reset-request >"$d/table.txt" 2>&1
wait %2 2>/dev/null
kill $pid; wait $pid
tail -8 "$d/table.txt"
