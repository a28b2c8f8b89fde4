#!/bin/sh
# Writes a user import file (docs/operations.md#importing-users) of N lines
# to stdout, for the benchmarks of `accountd import users`
# (docs/benchmarks.md, "User import") and for trying the import: addresses
# user0000000@example.com …, every account with one argon2id hash (of the
# password Correct-Horse-7391, with accountd's default parameters), names,
# a creation time and email_verified. Needs awk.
#
# Usage: scripts/gen-import-users.sh N > users.jsonl
set -eu
n=${1:?usage: gen-import-users.sh N}
hash='$argon2id$v=19$m=19456,t=2,p=1$gmWb76gMQ/+3J0AeELayLQ$Al+qzXJDyBGOAsMP32lLBFedmN3IHnhc1BwNY26NP4A'
awk -v n="$n" -v h="$hash" 'BEGIN {
  for (i = 0; i < n; i++)
    printf "{\"email\":\"user%07d@example.com\",\"password_hash\":\"%s\",\"first_name\":\"User\",\"last_name\":\"N%d\",\"created_at\":\"2019-05-01T12:00:00Z\",\"email_verified\":%s}\n", i, h, i, (i % 2 ? "true" : "false")
}'
