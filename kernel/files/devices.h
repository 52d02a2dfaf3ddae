// Character devices: /dev/null (1,3), /dev/zero (1,5), /dev/random (1,8), /dev/urandom (1,9),
// /dev/tty (5,0) and /dev/console (5,1), Linux's numbers. The nodes live in the root file system
// (populate_dev makes them at boot, as devtmpfs would); opening one gives the device's file.
#pragma once

#include <cstdint>

#include "kernel/files/file.h"
#include "kernel/fs/ramfs/filesystem.h"

namespace kfiles {

// The file of device (major, minor) opened with `flags`; null for a device that does not
// exist (ENXIO) or when memory ran out (`*no_memory` set).
File* open_device(std::uint32_t major, std::uint32_t minor, std::uint32_t flags, bool* no_memory);

// The console terminal (serial in, every console out): process 1's descriptors 0, 1 and 2.
File* open_console(std::uint32_t flags);

// Creates /dev and its nodes in `fs` (those that exist already are left). Boot CPU, once.
void populate_dev(ramfs::Filesystem& fs);

}  // namespace kfiles
