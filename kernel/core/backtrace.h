// Frame-pointer backtraces for panics and crash reports, symbolized from the kernel's own
// .symtab (kernel_symbols.h). The kernel is built with -fno-omit-frame-pointer, so every frame
// starts with (saved rbp, return address); the entry code sets rbp = 0 to end the chain.
#pragma once

#include <cstdint>

namespace kpanic {

inline constexpr unsigned kMaxBacktraceDepth = 32;

// Prints "backtrace:" and one line per frame to the raw consoles (panic-safe: no locks, no
// allocation). `first_pc`, if non-zero, is printed first (the faulting RIP). Each frame
// pointer is checked to be 8-byte aligned, inside kernel memory that is always mapped and
// above the previous one before it is read; the walk stops at rbp = 0 or after
// kMaxBacktraceDepth frames.
void print_backtrace(std::uint64_t rbp, std::uint64_t first_pc);

// Prints "  <label> 0x... symbol+0xoff" for one code address.
void print_code_address(const char* label, std::uint64_t address, bool is_return_address);

// Whether [address, address + length) lies inside the kernel image (where the boot stack
// and the IST stacks live). Frames in the guarded stack region (kernel threads, APs:
// kernel/cpus/guarded_stack.h) are also followed, each read under fault recovery since a bad
// frame pointer there may hit a guard page.
bool is_kernel_stack_range(std::uint64_t address, std::uint64_t length);

}  // namespace kpanic
