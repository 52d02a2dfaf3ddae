// The stack a new program starts on, as the System V x86-64 psABI (3.4.1, "Initial Stack and
// Register State") and Linux (fs/binfmt_elf.c create_elf_tables, fs/exec.c copy_strings) lay it
// out. Written into a kernel buffer that stands for the user range [stack_top - size,
// stack_top); every pointer written is a user address. Pure and freestanding; host-tested.
//
// From stack_top down (higher addresses first):
//   8 zero bytes (Linux's end marker)
//   execfn string (AT_EXECFN), then the envp strings, then the argv strings: so in ascending
//     order argv[0] .. argv[argc-1], envp[0] .. envp[envc-1], execfn, each NUL-terminated
//   "x86_64\0" (AT_PLATFORM)
//   16 random bytes (AT_RANDOM)
//   zero padding, so that rsp ends 16-byte aligned
//   auxv: (type, value) pairs ending with AT_NULL
//   envp[0..envc-1], NULL
//   argv[0..argc-1], NULL
//   argc                                <- rsp
#pragma once

#include <cstdint>

#include "kernel/exec/elf_image.h"
#include "smp/klib/format.h"
#include "smp/klib/result.h"

namespace kexec {

// Auxiliary vector types (<elf.h>, man 3 getauxval).
enum AuxType : std::uint64_t {
  kAtNull = 0,
  kAtPhdr = 3,
  kAtPhent = 4,
  kAtPhnum = 5,
  kAtPagesz = 6,
  kAtBase = 7,
  kAtFlags = 8,
  kAtEntry = 9,
  kAtUid = 11,
  kAtEuid = 12,
  kAtGid = 13,
  kAtEgid = 14,
  kAtPlatform = 15,
  kAtHwcap = 16,
  kAtClktck = 17,
  kAtSecure = 23,
  kAtRandom = 25,
  kAtHwcap2 = 26,
  kAtExecfn = 31,
  kAtSysinfoEhdr = 33,
  kAtMinsigstksz = 51,
};

// Linux's limits, scaled to this kernel: argv and envp strings with their pointers take at
// most kMaxArgBytes (Linux: a quarter of the stack rlimit, 2 MiB by default; one string at
// most 128 KiB), and there are at most kMaxArgStrings of them together.
inline constexpr std::uint64_t kMaxArgBytes = 128 * 1024;
inline constexpr std::uint32_t kMaxArgStrings = 8192;
// sysconf(_SC_CLK_TCK) as on Linux x86-64 (USER_HZ): the unit of times(2) and /proc ticks.
inline constexpr std::uint64_t kClockTicks = 100;
inline constexpr std::uint64_t kRandomBytes = 16;
// Auxv pairs written at most (AT_NULL included).
inline constexpr std::uint32_t kMaxAuxEntries = 21;

// The program values the auxiliary vector carries, as user addresses (bias added).
struct ProgramValues {
  std::uint64_t phdr = 0;   // AT_PHDR
  std::uint64_t phent = 0;  // AT_PHENT
  std::uint64_t phnum = 0;  // AT_PHNUM
  std::uint64_t entry = 0;  // AT_ENTRY
};

// The values of a parsed image loaded with `bias` (load_bias()).
ProgramValues program_values(const ElfImage& image, std::uint64_t bias);

struct StackInput {
  // Kernel copies of the strings, without their NULs (and with none inside). argc 0 is
  // given one empty argv[0], as Linux does since 5.18 (so argv[0] is never envp[0]).
  const fmt::StringView* argv = nullptr;
  std::uint32_t argc = 0;
  const fmt::StringView* envp = nullptr;
  std::uint32_t envc = 0;
  fmt::StringView execfn;  // the path exec was given (AT_EXECFN)
  ProgramValues program;
  std::uint64_t hwcap = 0;        // CPUID.1:EDX, as Linux's ELF_HWCAP on x86
  std::uint64_t hwcap2 = 0;       // Linux's HWCAP2_* bits (ring3mwait, fsgsbase)
  std::uint64_t minsigstksz = 0;  // AT_MINSIGSTKSZ when nonzero; left out when 0
  std::uint64_t sysinfo_ehdr = 0; // AT_SYSINFO_EHDR (the vDSO's address) when nonzero; left out when 0
  std::uint32_t uid = 0, euid = 0, gid = 0, egid = 0;
  bool secure = false;  // AT_SECURE
  std::uint8_t random[kRandomBytes] = {};
  std::uint64_t stack_top = 0;  // user address just above the stack; 16-byte aligned
};

// Where things went, as user addresses: rsp is what the program starts with (pointing at
// argc); arg/env ranges are Linux's mm->arg_start.. (what /proc/PID/cmdline reads).
struct StackLayout {
  std::uint64_t rsp = 0;
  std::uint64_t argv = 0, envp = 0, auxv = 0;  // the pointer arrays
  std::uint64_t arg_start = 0, arg_end = 0, env_start = 0, env_end = 0;
  std::uint64_t execfn = 0, platform = 0, random = 0;
  std::uint32_t argc = 0;       // as written (1 when the input had 0)
  std::uint32_t aux_count = 0;  // pairs written, AT_NULL included
};

enum class StackErrorKind : std::uint8_t {
  kTooManyStrings,    // argc + envc above kMaxArgStrings (E2BIG)
  kArgumentsTooLong,  // strings and pointers above kMaxArgBytes (E2BIG)
  kDoesNotFit,        // the whole stack does not fit the buffer (E2BIG)
  kNulInString,       // a string with a NUL inside, or a null pointer with a length
  kBadStackTop,       // stack_top unaligned, above kUserTop, or the buffer reaches below 0
};

struct StackError {
  StackErrorKind kind;
  std::uint64_t value;  // the count, the byte total, the bytes needed, the string index, stack_top
};

const char* describe(StackErrorKind kind);

// Builds the initial stack into buffer[0, size), which stands for [stack_top - size,
// stack_top), and returns where everything went. The whole buffer is written (zeros where
// nothing goes), so no earlier kernel data reaches the program. The three E2BIG kinds are what
// execve reports to its caller; nothing of the buffer is meaningful after an error.
klib::Result<StackLayout, StackError> build_initial_stack(const StackInput& in,
                                                          std::uint8_t* buffer, std::uint64_t size);

}  // namespace kexec
