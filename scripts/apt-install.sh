#!/bin/sh
# apt-install.sh WHY PACKAGE...: install Debian packages as root, with sudo if there is one,
# or stop with one sentence saying what to install.
set -e
why="$1"; shift
if [ "$(id -u)" = "0" ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "error: $why needs the Debian packages $*; you are not root and there is no sudo, so ask an administrator to run 'apt-get install $*' (or run make as root), then run make again." >&2
    exit 1
fi
echo "installing $* (Debian packages) for $why..."
$SUDO apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "$@" >/dev/null
