// The register frame every exception stub builds (exception_stubs.S) before calling C++:
// general registers pushed by the stub, then vector and error code (0 when the CPU pushes
// none), then what the CPU pushed. Field order = memory order, lowest address first.
#pragma once

#include <cstddef>
#include <cstdint>

namespace arch {

struct InterruptFrame {
  std::uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
  std::uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
  std::uint64_t vector;
  std::uint64_t error_code;
  // Pushed by the CPU.
  std::uint64_t rip, cs, rflags, rsp, ss;
};

// The frame of a system call (syscall_entry.S) has this shape too, with this vector.
inline constexpr std::uint64_t kSyscallVector = 0x100;

// Whether the frame was pushed on entry from user mode (CPL 3 in the saved CS).
inline bool from_user(const InterruptFrame& f) { return (f.cs & 3) == 3; }

// Offsets exception_stubs.S uses to build the backtrace link frame.
static_assert(offsetof(InterruptFrame, r11) == 32);  // syscall_entry.S
static_assert(offsetof(InterruptFrame, rcx) == 96);  // syscall_entry.S
static_assert(offsetof(InterruptFrame, rbp) == 64);
static_assert(offsetof(InterruptFrame, rip) == 136);
static_assert(offsetof(InterruptFrame, cs) == 144);  // interrupt_entry.inc, syscall_entry.S
static_assert(sizeof(InterruptFrame) == 176);  // keeps rsp 16-byte aligned in the stub

}  // namespace arch
