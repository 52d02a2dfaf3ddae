// IOAPIC registers (Intel 82093AA I/O APIC datasheet, §3): an index register (IOREGSEL) and a
// data window (IOWIN) in MMIO; through them the ID, version and the 64-bit redirection entries.
#pragma once

#include <cstdint>

#include "kernel/arch/x86_64/apic/bitfield.h"

namespace apic {

inline constexpr std::uint32_t kIoRegSelOffset = 0x00;
inline constexpr std::uint32_t kIoWinOffset = 0x10;
inline constexpr std::uint32_t kIoApicMmioSize = 0x20;

inline constexpr std::uint8_t kIoApicIdIndex = 0x00;
inline constexpr std::uint8_t kIoApicVersionIndex = 0x01;
inline constexpr std::uint8_t kIoRedirectionBase = 0x10;  // entry n: 0x10 + 2n (low), +1 (high)
inline constexpr std::uint32_t kIoApicMaxEntries = 120;  // (0xFF - 0x10 + 1) / 2: index is 8-bit

constexpr std::uint8_t redirection_low_index(std::uint32_t pin) {
  return static_cast<std::uint8_t>(kIoRedirectionBase + 2 * pin);
}
constexpr std::uint8_t redirection_high_index(std::uint32_t pin) {
  return static_cast<std::uint8_t>(kIoRedirectionBase + 2 * pin + 1);
}

using IoApicVersion = BitField<std::uint32_t, std::uint8_t, 0, 8>;
using IoApicMaxRedirection = BitField<std::uint32_t, std::uint8_t, 16, 8>;  // entries - 1
using IoApicIdField = BitField<std::uint32_t, std::uint8_t, 24, 4>;

// One redirection entry as a 64-bit value (low word = index 0x10+2n, high word = +1).
using RteVector = BitField<std::uint64_t, std::uint8_t, 0, 8>;
using RteDeliveryMode = BitField<std::uint64_t, std::uint8_t, 8, 3>;
using RteLogicalDestination = Bit<std::uint64_t, 11>;
using RteDeliveryPending = Bit<std::uint64_t, 12>;  // read-only
using RteActiveLow = Bit<std::uint64_t, 13>;
using RteRemoteIrr = Bit<std::uint64_t, 14>;        // read-only
using RteLevelTriggered = Bit<std::uint64_t, 15>;
using RteMasked = Bit<std::uint64_t, 16>;
using RteDestination = BitField<std::uint64_t, std::uint8_t, 56, 8>;  // physical: APIC ID

enum class RteDelivery : std::uint8_t { kFixed = 0, kLowestPriority = 1, kSmi = 2, kNmi = 4,
                                        kInit = 5, kExtInt = 7 };

}  // namespace apic
