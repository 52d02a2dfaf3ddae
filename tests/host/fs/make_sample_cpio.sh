#!/bin/sh
# make_sample_cpio.sh OUT: writes a small newc archive with GNU cpio for cpio_test.cc: a
# directory tree with a regular file, an executable, an empty file, a symlink and a file whose
# size needs padding. The test checks exactly these entries.
set -eu
out="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/bin" "$work/root/etc" "$work/root/empty"
printf 'hello\n' >"$work/root/etc/motd"
printf '#!/bin/sh\necho hi\n' >"$work/root/bin/script"
chmod 755 "$work/root/bin/script"
chmod 644 "$work/root/etc/motd"
ln -s ../etc/motd "$work/root/bin/link"
: >"$work/root/empty/file"
printf 'abc' >"$work/root/etc/three"
cd "$work/root"
find . | LC_ALL=C sort | cpio -o -H newc --quiet >"$out"
