// The 32 architectural exception vectors (Intel SDM Vol. 3A, "Exception and Interrupt
// Reference").
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
};

inline constexpr unsigned kExceptionCount = 32;

// "#PF Page Fault" style names; "reserved" for the unused ones.
const char* vector_mnemonic(std::uint64_t vector);
const char* vector_name(std::uint64_t vector);

// Page-fault error code bits (Intel SDM Vol. 3A, "Page-Fault Error Code").
inline constexpr std::uint64_t kPfPresent = 1u << 0;  // 0: page not present
inline constexpr std::uint64_t kPfWrite = 1u << 1;
inline constexpr std::uint64_t kPfUser = 1u << 2;
inline constexpr std::uint64_t kPfReservedBit = 1u << 3;
inline constexpr std::uint64_t kPfInstruction = 1u << 4;
inline constexpr std::uint64_t kPfProtectionKey = 1u << 5;

}  // namespace arch
