#include "kernel/arch/x86_64/backtrace.h"

#include "kernel/console/raw.h"
#include "kernel/core/kernel_symbols.h"

extern "C" char __kernel_start[];
extern "C" char __kernel_end[];

namespace arch {

bool is_kernel_stack_range(std::uint64_t address, std::uint64_t length) {
  const auto start = reinterpret_cast<std::uint64_t>(__kernel_start);
  const auto end = reinterpret_cast<std::uint64_t>(__kernel_end);
  return address >= start && address < end && length <= end - address;
}

void print_code_address(const char* label, std::uint64_t address, bool is_return_address) {
  // A return address may point just past the end of its function (a call to a noreturn
  // function as the last instruction): look up the call instruction's byte instead.
  const std::uint64_t probe = is_return_address && address != 0 ? address - 1 : address;
  const ksym::Symbolized s = ksym::kernel_symbols().lookup(probe);
  if (s.found()) {
    const std::uint64_t offset = s.offset + (address - probe);
    klog::raw("  {} {:#018x} {}+{:#x}\n", label, address, s.name, offset);
  } else {
    klog::raw("  {} {:#018x} ?\n", label, address);
  }
}

void print_backtrace(std::uint64_t rbp, std::uint64_t first_pc) {
  klog::raw("backtrace:\n");
  if (first_pc != 0) print_code_address("#0", first_pc, false);
  unsigned depth = first_pc != 0 ? 1 : 0;
  std::uint64_t previous = 0;
  char label[8];
  while (rbp != 0 && depth < kMaxBacktraceDepth) {
    if ((rbp & 7) != 0 || !is_kernel_stack_range(rbp, 16) || rbp <= previous) {
      klog::raw("  (frame pointer {:#x} is not on a kernel stack: stop)\n", rbp);
      return;
    }
    const auto* frame = reinterpret_cast<const std::uint64_t*>(rbp);
    const std::uint64_t return_address = frame[1];
    if (return_address == 0) break;
    fmt::FixedBuffer name(label, sizeof(label));
    fmt::format_to(name, "#{}", depth);
    print_code_address(name.c_str(), return_address, true);
    previous = rbp;
    rbp = frame[0];
    ++depth;
  }
  if (depth == kMaxBacktraceDepth && rbp != 0) klog::raw("  (depth limit reached)\n");
}

}  // namespace arch
