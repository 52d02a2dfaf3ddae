#!/usr/bin/env bash
# scripts/run --add and scripts/usb --add without QEMU or a build: every refusal, then a boot
# with a stand-in QEMU (exits as if the kernel reported success) that must leave the archive
# GNU cpio wrote, the initramfs plus the added files, in the workdir and on the image; and where
# scripts/run puts qemu_exit in a command line with process 1's arguments after "--". Prints
# one line per check and "run --add tests: N passed, N failed"; exits 1 if any check failed.
set -euo pipefail

usage() {
  echo "Usage: tests/boot/run_add_test.sh   (no options; needs no build and starts no QEMU)"
}
if (($# > 0)); then
  usage
  [[ "$1" == -h || "$1" == --help ]]
  exit
fi

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# A stand-in build tree: any bytes serve as loader and kernel, the image only carries them.
build="$tmp/build"
mkdir -p "$build/efi" "$build/kernel"
head -c 4096 /dev/urandom >"$build/efi/BOOTX64.EFI"
head -c 4096 /dev/urandom >"$build/kernel/kernel.elf"
"$REPO/scripts/lib/mkinitramfs" --out "$build/initramfs.cpio" \
  --tree "$REPO/kernel/fs/initramfs/root"
printf '#!/bin/sh\nexit 1\n' >"$tmp/fake-qemu"  # status 1: the kernel wrote 0 to isa-debug-exit
chmod +x "$tmp/fake-qemu"
printf 'a program\n' >"$tmp/prog"
chmod 0755 "$tmp/prog"
printf 'data\n' >"$tmp/data.txt"
chmod 0640 "$tmp/data.txt"
mkdir "$tmp/dir"

# Every command below runs against the stand-in build.
export PLEIADES_BUILD="$build"

# shellcheck source=tests/boot/lib/checks.sh
source "$REPO/tests/boot/lib/checks.sh"
checks_begin "run --add"

run=("$REPO/scripts/run" --no-deps --no-build --qemu "$tmp/fake-qemu" --workdir "$tmp/work")
check "missing host file" 2 "no such file: $tmp/nope" "${run[@]}" --add "$tmp/nope"
check "directory as host file" 2 "not a regular file" "${run[@]}" --add "$tmp/dir"
check "relative guest path" 2 "guest path 'bin/prog' is not absolute" \
  "${run[@]}" --add "$tmp/prog:bin/prog"
check "'..' in the guest path" 2 "has a '\.\.' component" \
  "${run[@]}" --add "$tmp/prog:/bin/../etc/x"
check "'.' in the guest path" 2 "has a '\.' component" "${run[@]}" --add "$tmp/prog:/./prog"
check "empty component" 2 "empty component" "${run[@]}" --add "$tmp/prog:/bin//prog"
check "guest path names a directory" 2 "names a directory" "${run[@]}" --add "$tmp/prog:/bin/"
check "--add with --no-initramfs" 2 "cannot go with --no-initramfs" \
  "${run[@]}" --add "$tmp/prog" --no-initramfs
check "--no-initramfs with --add" 2 "cannot go with --no-initramfs" \
  "${run[@]}" --no-initramfs --add "$tmp/prog"
check "usb: --add with --image" 2 "cannot go with --image" \
  "$REPO/scripts/usb" --image "$tmp/prog" --add "$tmp/prog" /dev/sdz
check "usb: missing host file" 2 "no such file" "$REPO/scripts/usb" --add "$tmp/nope" /dev/sdz
if [[ -e "$tmp/work/initramfs-add.cpio" ]]; then
  fail "a refused --add still wrote an archive"
fi

check "two files added, boot reported success" 0 "kernel reported success" \
  "${run[@]}" --add "$tmp/prog" --add "$tmp/data.txt:/etc/data/d.txt" --cmdline "init=/bin/prog"
archive="$tmp/work/initramfs-add.cpio"
listing="$(cpio -itv --quiet <"$archive" 2>&1)" || listing="cpio failed: $listing"
# The added files with their modes, and the base archive's entries.
for want in '^-rwxr-xr-x .* bin/prog$' '^-rw-r----- .* etc/data/d\.txt$' '^-.* etc/motd$' \
  '^d.* dev$'; do
  if grep -qE "$want" <<<"$listing"; then
    pass "the archive has an entry matching /$want/"
  else
    fail "the archive has no entry matching /$want/; it holds:"
    sed 's/^/    | /' <<<"$listing"
  fi
done
extracted="$tmp/extracted"
mkdir "$extracted"
(cd "$extracted" && cpio -id --quiet) <"$archive"
if cmp -s "$tmp/prog" "$extracted/bin/prog" &&
  cmp -s "$tmp/data.txt" "$extracted/etc/data/d.txt"; then
  pass "the added files' bytes are in the archive"
else
  fail "the added files' bytes differ in the archive"
fi
on_image="$tmp/on-image.cpio"
if MTOOLS_SKIP_CHECK=1 mcopy -i "$tmp/work/esp.img@@1M" ::/EFI/BOOT/initramfs.cpio "$on_image" &&
  cmp -s "$archive" "$on_image"; then
  pass "the image carries that archive as initramfs.cpio"
else
  fail "the image's initramfs.cpio is not the archive with the added files"
fi

# Not interactive, scripts/run adds qemu_exit to the kernel's words: before a "--", after which
# the words are process 1's arguments.
for pair in "init=/bin/prog -- a b|init=/bin/prog qemu_exit -- a b" "test|test qemu_exit" \
  "|qemu_exit" "-- a|qemu_exit -- a" "init=/x --|init=/x qemu_exit --" \
  "init=/bin/busybox -- ls -- x|init=/bin/busybox qemu_exit -- ls -- x" \
  "qemu_exit -- a|qemu_exit -- a" "a -- qemu_exit|a qemu_exit -- qemu_exit"; do
  given="${pair%%|*}"
  want="${pair#*|}"
  rm -f "$tmp/work/esp.img"
  "${run[@]}" --cmdline "$given" </dev/null >/dev/null 2>&1 || :
  got="$(MTOOLS_SKIP_CHECK=1 mtype -i "$tmp/work/esp.img@@1M" ::/EFI/BOOT/cmdline.txt 2>&1)" ||
    got="(no image: $got)"
  if [[ "$got" == "$want" ]]; then
    pass "--cmdline '$given' boots with '$want'"
  else
    fail "--cmdline '$given' boots with '$got', not '$want'"
  fi
done

checks_summary
