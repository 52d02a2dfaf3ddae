// Validation of the BootInfo header the loader hands over (kernel/boot/boot_info.h). Pure.
#pragma once

#include <cstdint>

#include "kernel/boot/boot_info.h"

namespace boot {

// nullptr if the kernel understands `info` (magic, exact version, size at least what this
// kernel knows, command line within kMaxCmdlineLength, counts consistent with their
// addresses); else a short reason.
const char* check_boot_info(const BootInfo& info);

}  // namespace boot
