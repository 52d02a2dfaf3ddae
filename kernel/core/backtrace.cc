#include "kernel/core/backtrace.h"

#include "kernel/arch/x86_64/fault_recovery.h"
#include "kernel/console/raw.h"
#include "kernel/core/kernel_symbols.h"
#include "kernel/cpus/guarded_stack.h"

extern "C" char __kernel_start[];
extern "C" char __kernel_end[];

namespace kpanic {

bool is_kernel_stack_range(std::uint64_t address, std::uint64_t length) {
  const auto start = reinterpret_cast<std::uint64_t>(__kernel_start);
  const auto end = reinterpret_cast<std::uint64_t>(__kernel_end);
  return address >= start && address < end && length <= end - address;
}

namespace {

constexpr std::uint64_t kPageFaultVector = 14;

// Kernel-thread and AP stacks live in the guarded stack region, where a stray frame pointer
// may land on an unmapped guard page: such frames are read under fault recovery.
bool in_stack_region(std::uint64_t address, std::uint64_t length) {
  return address >= kcpus::kStackRegionBase &&
         address - kcpus::kStackRegionBase < kcpus::kStackRegionSize &&
         length <= kcpus::kStackRegionSize - (address - kcpus::kStackRegionBase);
}

struct FrameRead {
  const std::uint64_t* frame;
  std::uint64_t saved_rbp;
  std::uint64_t return_address;
};

void read_frame(void* arg) {
  auto* r = static_cast<FrameRead*>(arg);
  r->saved_rbp = r->frame[0];
  r->return_address = r->frame[1];
}

// The saved rbp and return address at `rbp`; false when `rbp` is on no kernel stack or its
// page is not mapped.
bool read_frame_at(std::uint64_t rbp, FrameRead& out) {
  out.frame = reinterpret_cast<const std::uint64_t*>(rbp);
  if (is_kernel_stack_range(rbp, 16)) {
    read_frame(&out);
    return true;
  }
  if (!in_stack_region(rbp, 16)) return false;
  arch::FaultRecovery recovery{};
  recovery.expected_vector = kPageFaultVector;
  return !arch::call_with_fault_recovery(recovery, &read_frame, &out);
}

}  // namespace

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
    FrameRead frame{};
    if ((rbp & 7) != 0 || rbp <= previous || !read_frame_at(rbp, frame)) {
      klog::raw("  (frame pointer {:#x} is not on a kernel stack: stop)\n", rbp);
      return;
    }
    const std::uint64_t return_address = frame.return_address;
    if (return_address == 0) break;
    fmt::FixedBuffer name(label, sizeof(label));
    fmt::format_to(name, "#{}", depth);
    print_code_address(name.c_str(), return_address, true);
    previous = rbp;
    rbp = frame.saved_rbp;
    ++depth;
  }
  if (depth == kMaxBacktraceDepth && rbp != 0) klog::raw("  (depth limit reached)\n");
}

}  // namespace kpanic
