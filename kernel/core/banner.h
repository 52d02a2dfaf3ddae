// The boot banner: CPU, memory, ACPI, framebuffer, command line, one line each.
#pragma once

#include "kernel/boot/boot_info.h"
#include "smp/klib/format.h"

namespace core {

void print_banner(const boot::BootInfo& info, fmt::StringView command_line);

}  // namespace core
