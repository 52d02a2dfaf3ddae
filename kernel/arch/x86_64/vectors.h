// The kernel's one vector allocation table: the 32 architectural exceptions (Intel SDM Vol. 3A,
// "Exception and Interrupt Reference") and every vector the kernel programs into the local APIC,
// the IOAPIC or the legacy PIC. No other file picks a vector number.
//
// Layout (the local APIC's priority class is vector >> 4; higher classes preempt lower ones):
//   0x00..0x1F  exceptions
//   0x20..0x2F  the legacy 8259 PICs, remapped here and masked: only their spurious IRQ 7/15
//               (0x27/0x2F) can still arrive, and they must not look like exceptions
//   0x30..0xDF  device interrupts: IOAPIC GSI n -> kIrqBase + n (kIrqCount of them)
//   0xEF        local APIC timer (below every IPI class, above every device)
//   0xF9..0xFD  inter-processor interrupts, panic stop highest
//   0xFE        local APIC error
//   0xFF        spurious (its low nibble must be 1111b on P6-era APICs, so 0xFF everywhere)
#pragma once

#include <cstdint>

namespace arch {

enum class Vector : std::uint8_t {
  kDivideError = 0,
  kDebug = 1,
  kNmi = 2,
  kBreakpoint = 3,
  kOverflow = 4,
  kBoundRange = 5,
  kInvalidOpcode = 6,
  kDeviceNotAvailable = 7,
  kDoubleFault = 8,
  kCoprocessorSegmentOverrun = 9,
  kInvalidTss = 10,
  kSegmentNotPresent = 11,
  kStackSegmentFault = 12,
  kGeneralProtection = 13,
  kPageFault = 14,
  kReserved15 = 15,
  kX87FloatingPoint = 16,
  kAlignmentCheck = 17,
  kMachineCheck = 18,
  kSimdFloatingPoint = 19,
  kVirtualization = 20,
  kControlProtection = 21,
  kHypervisorInjection = 28,
  kVmmCommunication = 29,
  kSecurity = 30,

  kPicBase = 0x20,  // master IRQ 0..7 -> 0x20..0x27, slave IRQ 8..15 -> 0x28..0x2F
  kPicSpuriousMaster = 0x27,
  kPicSpuriousSlave = 0x2F,
  kIrqBase = 0x30,  // IOAPIC GSIs
  kIrqLast = 0xDF,
  kTimer = 0xEF,
  kTestIpi = 0xF9,
  kReschedule = 0xFA,
  kCallFunction = 0xFB,
  kTlbShootdown = 0xFC,
  kPanicStop = 0xFD,
  kError = 0xFE,
  kSpurious = 0xFF,
};

inline constexpr unsigned kExceptionCount = 32;
inline constexpr unsigned kPicVectorCount = 16;
inline constexpr unsigned kIrqCount =
    static_cast<unsigned>(Vector::kIrqLast) - static_cast<unsigned>(Vector::kIrqBase) + 1;

constexpr std::uint8_t vector_number(Vector v) { return static_cast<std::uint8_t>(v); }

// The device vector for IOAPIC GSI `gsi` (needs gsi < kIrqCount).
constexpr Vector irq_vector(std::uint32_t gsi) {
  return static_cast<Vector>(vector_number(Vector::kIrqBase) + gsi);
}

// "#PF Page Fault" style names of the exceptions; "reserved" for the unused ones, "?" /
// "unknown vector" from 32 on.
const char* vector_mnemonic(std::uint64_t vector);
const char* vector_name(std::uint64_t vector);
// What the allocation table above uses a vector >= 32 for ("local APIC timer", "device
// interrupt", ...; "unallocated vector" for the gaps).
const char* interrupt_vector_name(std::uint64_t vector);

// Page-fault error code bits (Intel SDM Vol. 3A, "Page-Fault Error Code").
inline constexpr std::uint64_t kPfPresent = 1u << 0;  // 0: page not present
inline constexpr std::uint64_t kPfWrite = 1u << 1;
inline constexpr std::uint64_t kPfUser = 1u << 2;
inline constexpr std::uint64_t kPfReservedBit = 1u << 3;
inline constexpr std::uint64_t kPfInstruction = 1u << 4;
inline constexpr std::uint64_t kPfProtectionKey = 1u << 5;

}  // namespace arch
