#!/bin/sh
# Regenerates internal/password/common-passwords.txt from the "passwords"
# frequency list of the npm package zxcvbn (MIT licence), lower-cased and
# de-duplicated, keeping zxcvbn's frequency order, and copies zxcvbn's licence
# next to it (the MIT licence asks that its notice travel with the data).
# Needs npm, node and tar.
#
# Usage (from anywhere): scripts/gen-common-passwords.sh
set -eu

version=4.4.2
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/internal/password/common-passwords.txt"
licence="$root/internal/password/common-passwords.LICENSE"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$out.tmp"' EXIT
trap 'exit 1' INT TERM

cd "$tmp"
npm pack --silent "zxcvbn@$version" >/dev/null
tar -xzf "zxcvbn-$version.tgz"

# frequency_lists.js is CommonJS; its source holds each list as one
# comma-separated string and splits it into an array before exporting it.
# Accept either form in case a later build exports the raw string.
node -e '
const list = require(process.argv[1]).passwords;
const words = Array.isArray(list) ? list : list.split(",");
const seen = new Set();
const out = [];
for (const pw of words) {
  const lower = pw.toLowerCase();
  if (lower === "" || seen.has(lower)) continue;
  seen.add(lower);
  out.push(lower);
}
process.stdout.write(out.join("\n") + "\n");
' "$tmp/package/lib/frequency_lists.js" > "$out.tmp"

mv "$out.tmp" "$out"
cp "$tmp/package/LICENSE.txt" "$licence"
echo "wrote $(wc -l < "$out" | tr -d " ") passwords to $out"
