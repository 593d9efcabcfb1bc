#!/bin/sh
# Fetches axe-core (the accessibility checker the browser tests inject) from the npm registry.
set -e
VERSION=4.14.1  # the current release (issue 22)
DEST="$(dirname "$0")/../.cache/axe-core"
[ -f "$DEST/axe.min.js" ] && [ "$(cat "$DEST/VERSION" 2>/dev/null)" = "$VERSION" ] && exit 0
if ! command -v npm >/dev/null 2>&1; then
  sh "$(dirname "$0")/apt-install.sh" "fetching axe-core (the browser tests' accessibility checker)" npm
fi
mkdir -p "$DEST"
TMP=$(mktemp -d)
if ! (cd "$TMP" && npm pack --silent "axe-core@$VERSION" >/dev/null 2>&1); then
  rm -rf "$TMP"
  echo "error: npm could not fetch axe-core@$VERSION from the npm registry (registry.npmjs.org); give this machine access to it, or copy axe.min.js of axe-core $VERSION into .cache/axe-core/, then run make test again (make test-fast needs neither)." >&2
  exit 1
fi
tar -xzf "$TMP"/axe-core-*.tgz -C "$TMP"
cp "$TMP/package/axe.min.js" "$DEST/axe.min.js"
echo "$VERSION" > "$DEST/VERSION"
rm -rf "$TMP"
echo "axe-core $VERSION in $DEST"
