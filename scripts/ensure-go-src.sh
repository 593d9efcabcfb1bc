#!/bin/sh
# Installs Debian's Go 1.19 sources: the citation tests open every cited line in them, and the
# assembler test assembles the routines' text straight from asm_amd64.s.
set -e
for d in /usr/lib/go-1.19/src /usr/share/go-1.19/src; do [ -f "$d/runtime/asm_amd64.s" ] && exit 0; done
sh "$(dirname "$0")/apt-install.sh" "the Go-source tests" golang-1.19-src
