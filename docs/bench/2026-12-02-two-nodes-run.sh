#!/bin/bash
# Two accountd nodes on one PostgreSQL and Redis against one node, same run.
# usage: run.sh BIN BENCH OUTDIR
set -u
BIN=$1; BENCH=$2; OUT=$3; mkdir -p $OUT
PG=postgres://postgres@127.0.0.1:5432/twonode_bench?sslmode=disable
psql -q -h 127.0.0.1 -U postgres -d test -c 'DROP DATABASE IF EXISTS twonode_bench' -c 'CREATE DATABASE twonode_bench'
redis-cli -n 9 flushdb >/dev/null
common="ACCOUNTD_DATABASE_URL=$PG ACCOUNTD_REDIS_URL=redis://127.0.0.1:6379/9 ACCOUNTD_RATE_LIMITS=off ACCOUNTD_RESET_EMAILS_PER_HOUR=1000000 ACCOUNTD_SMTP_URL=smtp://127.0.0.1:12725 ACCOUNTD_LOG_LEVEL=warn"
env $common ACCOUNTD_ADDR=127.0.0.1:18281 ACCOUNTD_ADMIN_ADDR=127.0.0.1:19281 $BIN serve -dev >$OUT/a.log 2>&1 & A=$!
for i in $(seq 100); do curl -sf http://127.0.0.1:19281/readyz >/dev/null && break; sleep 0.2; done
cpu() { awk '{print $14+$15}' /proc/$1/stat; }   # clock ticks
total() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }   # busy ticks of the machine
pgcpu() { local t=0; for p in $(pgrep -f 'postgres: 15/main: postgres twonode_bench'); do t=$((t+$(awk '{print $14+$15}' /proc/$p/stat 2>/dev/null || echo 0))); done; echo $t; }
run() { # label, extra bench args...
  local L=$1; shift
  local a0=$(cpu $A) b0=$(cpu $B) p0=$(pgcpu) t0=$(total)
  /usr/bin/time -f "%U %S" -o $OUT/$L.benchcpu $BENCH -url http://127.0.0.1:18281 -admin-url http://127.0.0.1:19281 -smtp-listen 127.0.0.1:12725 -pid $A -label $L -c 64 -json-out $OUT/$L.json "$@" > $OUT/$L.txt 2>&1
  echo "$L accountdA_ticks=$(( $(cpu $A)-a0 )) accountdB_ticks=$(( $(cpu $B)-b0 )) postgres_ticks=$(( $(pgcpu)-p0 )) machine_busy_ticks=$(( $(total)-t0 )) load=$(cut -d' ' -f1-3 /proc/loadavg)" >> $OUT/cpu.txt
}
B=0
cpu() { [ "$1" = 0 ] && echo 0 || awk '{print $14+$15}' /proc/$1/stat; }
run one-reset reset-request
run one-login login
env $common ACCOUNTD_ADDR=127.0.0.1:18282 ACCOUNTD_ADMIN_ADDR=127.0.0.1:19282 $BIN serve -dev >$OUT/b.log 2>&1 & B=$!
for i in $(seq 100); do curl -sf http://127.0.0.1:19282/readyz >/dev/null && break; sleep 0.2; done
run two-reset -also-url http://127.0.0.1:18282 reset-request
run two-login -also-url http://127.0.0.1:18282 login
kill $A $B; wait
psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS twonode_bench"
