#!/bin/sh
# Fetches axe-core (the accessibility checker the browser tests inject) from the npm registry.
set -e
VERSION=4.10.3
DEST="$(dirname "$0")/../.cache/axe-core"
[ -f "$DEST/axe.min.js" ] && exit 0
if ! command -v npm >/dev/null 2>&1; then
  echo "axe-core needs npm: install it (Debian: apt-get install npm), then run make test again" >&2
  exit 1
fi
mkdir -p "$DEST"
TMP=$(mktemp -d)
(cd "$TMP" && npm pack --silent "axe-core@$VERSION" >/dev/null)
tar -xzf "$TMP"/axe-core-*.tgz -C "$TMP"
cp "$TMP/package/axe.min.js" "$DEST/axe.min.js"
rm -rf "$TMP"
echo "axe-core $VERSION in $DEST"
