#!/bin/sh
# Installs Debian's Go 1.19 sources: the citation tests open every cited line in them.
set -e
if [ -f /usr/lib/go-1.19/src/runtime/asm_amd64.s ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
echo "installing golang-1.19-src (Debian package) for the citation tests..."
$SUDO apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q golang-1.19-src >/dev/null
