// What kernel_main keeps from the boot: its own copies of the BootInfo and the command line
// (the loader's are reclaimed), and the parsed options. Read-only after boot.
#pragma once

#include "kernel/boot/boot_info.h"
#include "kernel/core/options.h"
#include "smp/klib/format.h"

namespace core {

const boot::BootInfo& boot_info();
fmt::StringView command_line();
const cmdline::BootOptions& options();

}  // namespace core
