// The initramfs the loader read (BootInfo.initramfs): checked at boot, entry by entry, and
// reported. Runs while loader memory is still kept (before mm::reclaim_boot_memory).
#pragma once

#include "kernel/boot/boot_info.h"
#include "kernel/fs/ramfs/filesystem.h"

namespace initramfs {

// Logs "initramfs: N entries ..." or, for an archive that is refused, the entry, offset and
// reason; the boot goes on either way. True when there is an archive and it is whole.
bool report_boot_archive(const boot::BootInfo& info);

// Builds the root file system: an empty in-memory one, with the archive unpacked into it when
// report_boot_archive accepted it (the data is copied, so loader memory can go afterwards).
// Logs "ramfs: ..." with the counts, or the entry and offset of the first problem (what came
// before it stays). Boot CPU, after the heap and before mm::reclaim_boot_memory.
void build_root(const boot::BootInfo& info, bool archive_ok);

// The root file system (null before build_root, or when memory for it ran out).
ramfs::Filesystem* root_filesystem();

}  // namespace initramfs
