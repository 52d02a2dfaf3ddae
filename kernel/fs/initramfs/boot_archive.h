// The initramfs the loader read (BootInfo.initramfs): checked at boot, entry by entry, reported,
// and unpacked into the in-memory file system that becomes the kernel's root. Runs while loader
// memory is still kept (before mm::reclaim_boot_memory): every byte is copied out of it.
#pragma once

#include "kernel/boot/boot_info.h"
#include "kernel/fs/ramfs/filesystem.h"

namespace initramfs {

// Makes the root file system, checks the archive and unpacks it into the root. Logs
// "initramfs: N entries ..." and "ramfs: unpacked ..." or, for an archive that is refused, the
// entry, offset and reason (the root then stays empty, or holds what came before an entry that
// could not be made); the boot goes on either way. True when there is an archive and it was unpacked whole. Called
// once, on the boot CPU, before the other CPUs start; needs the heap.
// (The name is older than the unpacking: kernel_main calls it where it only reported.)
bool report_boot_archive(const boot::BootInfo& info);

// The kernel's root file system: nullptr before report_boot_archive, or when there was no
// memory for even an empty one. Never changes afterwards.
ramfs::Filesystem* root_filesystem();

}  // namespace initramfs
