#!/bin/sh
# Installs Debian's chromium and a CJK font for the static-site browser tests, if missing.
set -e
if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "wqy\|cjk"; then exit 0; fi
sh "$(dirname "$0")/apt-install.sh" "the browser tests" chromium fonts-wqy-microhei
