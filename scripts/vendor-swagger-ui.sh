#!/usr/bin/env bash
# Vendors Swagger UI's built assets (npm package swagger-ui-dist, Apache-2.0)
# into the gateway package, so /docs/try needs no CDN. Re-run to upgrade.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=${SWAGGER_UI_VERSION:-5.35.0}
out=src/runyard/gateway/static/swagger-ui
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "swagger-ui-dist@$VERSION" >/dev/null && tar xzf swagger-ui-dist-*.tgz)
mkdir -p "$out"
for f in swagger-ui-bundle.js swagger-ui.css LICENSE NOTICE; do
  cp "$tmp/package/$f" "$out/$f"
done
# The stylesheet's source-map comment points at a file not shipped.
sed -i "s@/\*# sourceMappingURL=[^*]*\*/@@" "$out/swagger-ui.css"
echo "$VERSION" > "$out/VERSION"
