// Local APIC registers (Intel SDM Vol. 3A, chapter "Advanced Programmable Interrupt Controller
// (APIC)", tables "Local APIC Register Address Map" and "x2APIC MSR address map"): offsets
// into the 4 KiB xAPIC page, and the fields of each register we program. In x2APIC mode the
// same register is MSR 0x800 + (offset >> 4) (x2apic_msr()).
#pragma once

#include <cstdint>

#include "kernel/arch/x86_64/apic/bitfield.h"

namespace apic {

enum class Register : std::uint16_t {
  kId = 0x020,
  kVersion = 0x030,
  kTpr = 0x080,
  kEoi = 0x0B0,
  kLdr = 0x0D0,
  kSvr = 0x0F0,
  kIsrBase = 0x100,  // 8 registers, 0x10 apart
  kIrrBase = 0x200,
  kEsr = 0x280,
  kLvtCmci = 0x2F0,
  kIcrLow = 0x300,
  kIcrHigh = 0x310,  // xAPIC only: x2APIC has one 64-bit ICR MSR
  kLvtTimer = 0x320,
  kLvtThermal = 0x330,
  kLvtPerf = 0x340,
  kLvtLint0 = 0x350,
  kLvtLint1 = 0x360,
  kLvtError = 0x370,
  kTimerInitialCount = 0x380,
  kTimerCurrentCount = 0x390,
  kTimerDivide = 0x3E0,
};

constexpr std::uint32_t offset_of(Register r) { return static_cast<std::uint32_t>(r); }

// x2APIC MSR for a register: 0x800 + offset / 16 (SDM "x2APIC Register Address Space").
inline constexpr std::uint32_t kX2ApicMsrBase = 0x800;
constexpr std::uint32_t x2apic_msr(Register r) { return kX2ApicMsrBase + (offset_of(r) >> 4); }
static_assert(x2apic_msr(Register::kIcrLow) == 0x830);
static_assert(x2apic_msr(Register::kEoi) == 0x80B);
static_assert(x2apic_msr(Register::kSvr) == 0x80F);

using Reg32 = std::uint32_t;
using Reg64 = std::uint64_t;

// ID register: xAPIC keeps the 8-bit ID in bits 31:24; x2APIC uses all 32 bits.
using XApicId = BitField<Reg32, std::uint8_t, 24, 8>;

// Version register.
using VersionNumber = BitField<Reg32, std::uint8_t, 0, 8>;
using VersionMaxLvt = BitField<Reg32, std::uint8_t, 16, 8>;  // number of LVT entries - 1

// Spurious-interrupt vector register.
using SvrVector = BitField<Reg32, std::uint8_t, 0, 8>;
using SvrEnable = Bit<Reg32, 8>;  // APIC software enable
using SvrFocusDisable = Bit<Reg32, 9>;
using SvrEoiBroadcastSuppression = Bit<Reg32, 12>;  // defined when Version bit 24 says so

// Local vector table entries (timer, LINT0/1, error, thermal, perf, CMCI share the layout;
// polarity, remote IRR and trigger exist only on LINT0/1; timer mode only on the timer).
using LvtVector = BitField<Reg32, std::uint8_t, 0, 8>;
using LvtDeliveryMode = BitField<Reg32, std::uint8_t, 8, 3>;
using LvtDeliveryPending = Bit<Reg32, 12>;  // read-only
using LvtActiveLow = Bit<Reg32, 13>;
using LvtRemoteIrr = Bit<Reg32, 14>;        // read-only
using LvtLevelTriggered = Bit<Reg32, 15>;
using LvtMasked = Bit<Reg32, 16>;
using LvtTimerMode = BitField<Reg32, std::uint8_t, 17, 2>;

enum class LvtDelivery : std::uint8_t { kFixed = 0, kSmi = 2, kNmi = 4, kInit = 5, kExtInt = 7 };
enum class TimerMode : std::uint8_t { kOneShot = 0, kPeriodic = 1, kTscDeadline = 2 };

// Timer divide configuration: bits 0, 1 and 3 encode the divisor; 1011b = divide by 1.
inline constexpr Reg32 kTimerDivideBy1 = 0b1011;
inline constexpr Reg32 kTimerDivideMask = 0b1011;

// Interrupt command register, as one 64-bit value: low half as in ICR_LOW, destination in the
// high half (xAPIC: bits 63:56, 8 bits; x2APIC: bits 63:32, 32 bits).
using IcrVector = BitField<Reg64, std::uint8_t, 0, 8>;
using IcrDeliveryMode = BitField<Reg64, std::uint8_t, 8, 3>;
using IcrLogicalDestination = Bit<Reg64, 11>;
using IcrDeliveryPending = Bit<Reg64, 12>;  // xAPIC only, read-only
using IcrLevelAssert = Bit<Reg64, 14>;
using IcrLevelTriggered = Bit<Reg64, 15>;
using IcrShorthand = BitField<Reg64, std::uint8_t, 18, 2>;
using IcrXApicDestination = BitField<Reg64, std::uint8_t, 56, 8>;
using IcrX2ApicDestination = BitField<Reg64, std::uint32_t, 32, 32>;

enum class IcrDelivery : std::uint8_t { kFixed = 0, kLowest = 1, kSmi = 2, kNmi = 4, kInit = 5,
                                        kStartup = 6 };
enum class IcrDestShorthand : std::uint8_t { kNone = 0, kSelf = 1, kAllIncludingSelf = 2,
                                             kAllButSelf = 3 };

// x2APIC ICR (one 64-bit MSR): the fields software may set. Delivery status (bit 12) does not
// exist in x2APIC mode; bits 13, 16-17 and 20-31 are reserved.
inline constexpr Reg64 kX2ApicIcrWritableBits =
    IcrVector::kMask | IcrDeliveryMode::kMask | IcrLogicalDestination::kMask |
    IcrLevelAssert::kMask | IcrLevelTriggered::kMask | IcrShorthand::kMask |
    IcrX2ApicDestination::kMask;

// The bits of a 32-bit register that software may write in x2APIC mode, where a WRMSR with a
// reserved bit set raises #GP (SDM, the x2APIC register table and "Reserved Bit Checking";
// the layouts of the SVR, LVT, TPR, ESR and timer figures). Read-only bits (delivery status,
// remote IRR) are left out too: they are ignored on writes and need not be written. Registers
// that are read-only or absent in x2APIC mode (ID, version, LDR, ISR/IRR, current count, ICR
// high) have none.
constexpr Reg32 x2apic_writable_bits(Register r) {
  switch (r) {
    case Register::kTpr: return 0xFF;  // task priority class and sub-class
    case Register::kEoi: return 0;     // write-only, and a non-zero write faults
    case Register::kEsr: return 0;     // written with 0 only (the write latches the errors)
    case Register::kSvr:
      return SvrVector::kMask | SvrEnable::kMask | SvrFocusDisable::kMask |
             SvrEoiBroadcastSuppression::kMask;
    case Register::kLvtTimer:
      return LvtVector::kMask | LvtMasked::kMask | LvtTimerMode::kMask;
    case Register::kLvtCmci:
    case Register::kLvtThermal:
    case Register::kLvtPerf:
      return LvtVector::kMask | LvtDeliveryMode::kMask | LvtMasked::kMask;
    case Register::kLvtLint0:
    case Register::kLvtLint1:
      return LvtVector::kMask | LvtDeliveryMode::kMask | LvtActiveLow::kMask |
             LvtLevelTriggered::kMask | LvtMasked::kMask;
    case Register::kLvtError: return LvtVector::kMask | LvtMasked::kMask;
    case Register::kTimerInitialCount: return 0xFFFF'FFFF;
    case Register::kTimerDivide: return kTimerDivideMask;
    default: return 0;
  }
}

// Error status register bits.
inline constexpr Reg32 kEsrSendChecksum = 1u << 0;
inline constexpr Reg32 kEsrReceiveChecksum = 1u << 1;
inline constexpr Reg32 kEsrSendAccept = 1u << 2;
inline constexpr Reg32 kEsrReceiveAccept = 1u << 3;
inline constexpr Reg32 kEsrRedirectableIpi = 1u << 4;
inline constexpr Reg32 kEsrSendIllegalVector = 1u << 5;
inline constexpr Reg32 kEsrReceiveIllegalVector = 1u << 6;
inline constexpr Reg32 kEsrIllegalRegister = 1u << 7;

// IA32_APIC_BASE (MSR 0x1B).
inline constexpr std::uint32_t kMsrApicBase = 0x1B;
using ApicBaseBsp = Bit<Reg64, 8>;
using ApicBaseX2Apic = Bit<Reg64, 10>;  // EXTD
using ApicBaseEnable = Bit<Reg64, 11>;  // EN
inline constexpr Reg64 kApicBaseAddressMask = 0x000F'FFFF'FFFF'F000ull;

// IA32_TSC_DEADLINE (MSR 0x6E0): the timer fires when the TSC reaches it; 0 disarms.
inline constexpr std::uint32_t kMsrTscDeadline = 0x6E0;

inline constexpr std::uint32_t kXApicMmioSize = 0x1000;

}  // namespace apic
