#!/bin/sh
# Process 1 on Linux for scripts/bench --vs-linux (as /linux-init, rdinit=/linux-init): Linux
# starts it with no descriptors when its initramfs has no /dev/console, so /dev comes from
# devtmpfs first; then the same /bench/run as on Pleiades, and power off.
mount -t devtmpfs devtmpfs /dev
mount -t proc proc /proc
exec </dev/console >/dev/console 2>&1
echo "linux-init: $(uname -sr) on $(grep -c ^processor /proc/cpuinfo) CPUs"
/bench/run
echo "linux-init: /bench/run exited with status $?"
poweroff -f
