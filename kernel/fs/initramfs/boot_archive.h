// The initramfs the loader read (BootInfo.initramfs): checked at boot, entry by entry, and
// reported. Runs while loader memory is still kept (before mm::reclaim_boot_memory).
#pragma once

#include "kernel/boot/boot_info.h"

namespace initramfs {

// Logs "initramfs: N entries ..." or, for an archive that is refused, the entry, offset and
// reason; the boot goes on either way. True when there is an archive and it is whole.
bool report_boot_archive(const boot::BootInfo& info);

}  // namespace initramfs
