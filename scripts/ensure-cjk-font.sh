#!/bin/sh
# Installs the CJK font the stack pictures' Chinese labels use (matplotlib and the browser), if missing.
set -e
if fc-list 2>/dev/null | grep -qi "wqy-microhei"; then exit 0; fi
sh "$(dirname "$0")/apt-install.sh" "the pictures' Chinese labels" fonts-wqy-microhei fontconfig
