#!/bin/sh
# Fails the loader build when the shared object needs a dynamic relocation other than
# R_X86_64_RELATIVE: gnu-efi's self-relocation skips every other kind, so such code would read
# zeros at run time instead of failing at link time.
set -eu
bad=$(readelf -rW "$1" | awk '/^[0-9a-f]+ +[0-9a-f]+ +R_X86_64_/ && $3 != "R_X86_64_RELATIVE"')
if [ -n "$bad" ]; then
  echo "loader: unsupported dynamic relocations in $1:" >&2
  echo "$bad" >&2
  exit 1
fi
