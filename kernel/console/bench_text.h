// Text to measure a console with (the in-kernel console test, bench/console/): lines from a real
// boot log, and lines that differ from the one above in every cell, the worst case for the
// shadow's cell-by-cell comparison (a scroll then redraws every cell that holds text).
#pragma once

#include <cstddef>

namespace console::bench_text {

// Twelve lines of a 4-CPU QEMU boot, as klog prints them (newline included).
inline constexpr const char* kBootLog[] = {
    "[info] mm: 255 MiB RAM, 206 MiB usable (206 MiB free), 42 MiB reclaimable after boot\n",
    "[info] mm: direct map 0xffff800000000000..0xffff800100000000 (1 GiB pages)\n",
    "[info] acpi: 4 usable CPUs, 0 skipped entries; boot CPU APIC ID 0\n",
    "[info] acpi:   ioapic id 0 at 0xfec00000 gsi base 0\n",
    "[info] apic: xAPIC (firmware state: xAPIC), ID 0, version 0x14, 6 LVT entries, LINT NMI "
    "from MADT\n",
    "[info] tsc: 2705 MHz (HPET), NOT invariant (may change with power states)\n",
    "[info] smp: 4 of 4 CPUs online in 48 ms (1 waves, 0 retried)\n",
    "[info] Pleiades x86-64 kernel\n",
    "[info] cpu: AuthenticAMD \"QEMU Virtual CPU version 2.5+\"\n",
    "[info] memory: 255 MiB total, 249 MiB usable, 248 MiB free, 43416 KiB reclaimed from boot\n",
    "[info] framebuffer: 1280x800 stride 1280 px format BGRX8 at 0xc0000000 (4000 KiB)\n",
    "[info] sched: cpu 2: 1 threads, idle 97%, 4122 switches\n",
};
inline constexpr std::size_t kBootLogLines = sizeof(kBootLog) / sizeof(kBootLog[0]);

inline constexpr std::size_t kMaxDistinctLine = 121;  // 120 characters and the newline

// Line `i` of the worst case: 40 to 120 printable characters, then '\n', into `out`
// (kMaxDistinctLine bytes). Character k is 33 + (7i + 3k) mod 94, so lines i and i + 1 differ
// at every column. Returns the length.
inline std::size_t distinct_line(unsigned i, char* out) {
  const std::size_t length = 40 + (i * 37) % 81;
  for (std::size_t k = 0; k < length; ++k) {
    out[k] = static_cast<char>(33 + (7 * std::size_t{i} + 3 * k) % 94);
  }
  out[length] = '\n';
  return length + 1;
}

}  // namespace console::bench_text
