// The legacy 8254 PIT, used only to measure the TSC rate when CPUID does not report it.
#pragma once

#include <cstdint>

#include "smp/klib/result.h"

namespace arch {

// Counts TSC cycles over a PIT channel 2 one-shot interval (speaker gate, output read back
// from port 0x61) and returns the TSC rate in Hz. Every wait is bounded; the result is
// sanity-checked (100 MHz .. 20 GHz); the shortest of five runs is used and must be confirmed
// by another within 2%. Interrupts should be off.
klib::Result<std::uint64_t, const char*> measure_tsc_hz_with_pit();

}  // namespace arch
