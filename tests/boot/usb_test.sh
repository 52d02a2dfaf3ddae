#!/usr/bin/env bash
# scripts/usb against fake devices (a fake /sys and /dev tree and a fake lsblk): every refusal,
# a "no" answer, and a real write to the fake device. Prints one line per check and
# "usb tests: N passed, N failed"; exits 1 if any check failed.
set -euo pipefail

usage() {
  echo "Usage: tests/boot/usb_test.sh   (no options; needs no root and touches no real device)"
}
if (($# > 0)); then
  usage
  [[ "$1" == -h || "$1" == --help ]]
  exit
fi

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
USB="$REPO/scripts/usb"
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT

# A small image stands in for the real one, so no build is needed.
image="$root/esp.img"
head -c 65536 /dev/urandom >"$image"

# fake_disk NAME REMOVABLE TRAN [MOUNTED_PARTITION_MOUNTPOINT] [SECTORS]
fake_disk() {
  local name="$1" removable="$2" tran="$3" mnt="${4:-}" sectors="${5:-31457280}"
  mkdir -p "$root/sys/block/$name/device" "$root/sys/class/block/$name" \
    "$root/sys/class/block/${name}1" "$root/dev" "$root/lsblk"
  echo "$removable" >"$root/sys/block/$name/removable"
  echo "$sectors" >"$root/sys/block/$name/size"
  echo "Fake Stick      " >"$root/sys/block/$name/device/model"
  echo 1 >"$root/sys/class/block/${name}1/partition"
  : >"$root/dev/$name"
  : >"$root/dev/${name}1"
  printf 'NAME="%s" TRAN="%s" MOUNTPOINT=""\nNAME="%s1" TRAN="" MOUNTPOINT="%s"\n' \
    "$name" "$tran" "$name" "$mnt" >"$root/lsblk/$name"
}
fake_disk sdb 1 usb          # a USB stick
fake_disk sdc 0 usb          # USB transport, removable flag 0 (many sticks report that)
fake_disk sdd 1 ""           # card reader: removable, no USB transport
fake_disk sda 0 sata         # the system disk
fake_disk sde 1 usb /media/x # mounted partition
fake_disk sdf 1 usb "" 64    # 32 KiB: smaller than the image
mkdir -p "$root/dev"
: >"$root/dev/notblock"      # exists in /dev but the kernel has no block device by that name

cat >"$root/fake-lsblk" <<EOF
#!/usr/bin/env bash
# Called as: lsblk -nPo NAME,TRAN,MOUNTPOINT /dev/NAME
cat "$root/lsblk/\$(basename "\${@: -1}")"
EOF
chmod +x "$root/fake-lsblk"

# shellcheck source=tests/boot/lib/checks.sh
source "$REPO/tests/boot/lib/checks.sh"
checks_begin "usb"

# answer ANSWER DEVICE: scripts/usb writing the image to DEVICE of the fake tree, with ANSWER
# typed at its question.
answer() {
  printf '%s\n' "$1" | PLEIADES_USB_ROOT="$root" PLEIADES_USB_LSBLK="$root/fake-lsblk" \
    "$USB" --image "$image" "$2"
}

check "missing device" 1 "refusing /dev/sdz: no such device" answer yes /dev/sdz
check "not a block device" 1 "refusing /dev/notblock: not a block device" answer yes /dev/notblock
check "partition" 1 "refusing /dev/sdb1: it is a partition" answer yes /dev/sdb1
check "fixed sata disk" 1 "refusing /dev/sda: not removable" answer yes /dev/sda
check "mounted partition" 1 "refusing /dev/sde: mounted: sde1 on /media/x" answer yes /dev/sde
check "image larger than device" 1 "refusing /dev/sdf: the image .* is larger" answer yes /dev/sdf
check "answer no" 1 "Fake Stick, 15360 MiB.*not written" answer no /dev/sdb
check "answer YES is not yes" 1 "not written" answer YES /dev/sdb
if cmp -s "$image" "$root/dev/sdb"; then
  fail "a refused write still wrote the device"
fi
check "usb stick, yes" 0 "wrote .* to /dev/sdb" answer yes /dev/sdb
check "usb transport, removable=0" 0 "wrote" answer yes /dev/sdc
check "removable card reader" 0 "wrote" answer yes /dev/sdd
for disk in sdb sdc sdd; do
  if cmp -s "$image" "$root/dev/$disk"; then
    pass "/dev/$disk holds the image"
  else
    fail "/dev/$disk does not hold the image"
  fi
done

checks_summary
