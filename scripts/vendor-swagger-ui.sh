#!/usr/bin/env bash
# Refreshes the Swagger UI files that accountd serves at /api/docs/
# (internal/web/apidocs/, embedded in the binary) from the npm package
# swagger-ui-dist. Usage: scripts/vendor-swagger-ui.sh [VERSION]
# Commit the result; the binary never fetches anything at run time.
set -euo pipefail
version="${1:-5.35.0}"
cd "$(dirname "$0")/.."
dest=internal/web/apidocs
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "swagger-ui-dist@$version" >/dev/null && tar -xzf swagger-ui-dist-*.tgz)
for f in swagger-ui-bundle.js swagger-ui.css LICENSE NOTICE; do
  if [ -f "$tmp/package/$f" ]; then
    cp "$tmp/package/$f" "$dest/$f"
  fi
done
# The bundle ends with a source map comment; the map is not shipped, so
# drop the comment (browsers would ask for it and get a 404).
sed -i -e '/^\/\/# sourceMappingURL=/d' -e '/^\/\*# sourceMappingURL=.*\*\/$/d' "$dest/swagger-ui-bundle.js" "$dest/swagger-ui.css"
echo "swagger-ui-dist $version" > "$dest/VERSION"
echo "vendored swagger-ui-dist $version into $dest"
