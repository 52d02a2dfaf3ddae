// `fault=page` / `fault=ud` on the command line: an unhandled fault on purpose after boot, so
// the boot tests can check the exception report and its symbolized backtrace.
#pragma once

#include <cstdint>

#include "kernel/boot/boot_info.h"

namespace core {

// Which fault `fault=` asks for.
enum class Fault : std::uint8_t { kNone, kPage, kInvalidOpcode };

// An address no page table maps: the last page of the 64 TiB direct-map window, mapped only
// on a machine with 64 TiB of RAM.
inline constexpr std::uint64_t kUnmappedAddress =
    boot::kDirectMapBase + boot::kDirectMapMaxSize - boot::kPageSize;

// Takes the fault (never returns: the exception handler panics).
[[noreturn]] void take_deliberate_fault(Fault kind);

}  // namespace core
