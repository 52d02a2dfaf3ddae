#include "kernel/arch/x86_64/user_mode.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/descriptors.h"
#include "kernel/arch/x86_64/mmu/mmu.h"

extern "C" char syscall_entry[];
extern "C" [[noreturn]] void arch_return_to_user_frame(arch::InterruptFrame* frame);
extern "C" [[noreturn]] void arch_enter_user(std::uint64_t rip, std::uint64_t rsp,
                                             std::uint64_t rflags);

namespace arch {
namespace {

constexpr std::uint32_t kMsrStar = 0xC0000081;
constexpr std::uint32_t kMsrLstar = 0xC0000082;
constexpr std::uint32_t kMsrFmask = 0xC0000084;
constexpr std::uint64_t kEferSyscallEnable = 1ull << 0;

// FMASK: the RFLAGS bits SYSCALL clears. IF (no interrupt before the stack switch), DF (the
// ABI's direction), TF (no single-step trap in the entry), AC (SMAP stays armed), NT, RF, IOPL
// and ID: the same set Linux clears.
constexpr std::uint64_t kSyscallFlagMask = (1u << 0) | (1u << 2) | (1u << 4) | (1u << 6) |
                                           (1u << 7) | (1u << 8) | (1u << 9) | (1u << 10) |
                                           (1u << 11) | (3u << 12) | (1u << 14) | (1u << 16) |
                                           (1u << 18) | (1u << 21);

SyscallHandler g_syscall = nullptr;        // atomic builtins: set once, read on every entry
ExitToUserHook g_exit_to_user = nullptr;

void wrmsr_raw(std::uint32_t msr, std::uint64_t value) {
  asm volatile("wrmsr"
               :
               : "c"(msr), "a"(static_cast<std::uint32_t>(value)),
                 "d"(static_cast<std::uint32_t>(value >> 32)));
}

}  // namespace

void init_syscall_this_cpu() {
  mm::arch::write_efer(mm::arch::read_efer() | kEferSyscallEnable);
  // STAR[47:32]: SYSCALL's CS (SS = CS + 8). STAR[63:48]: SYSRET's base; it loads CS = base +
  // 16 and SS = base + 8, both with RPL 3: the GDT's user data, user code order (descriptors.h).
  const std::uint64_t kernel_cs = static_cast<std::uint64_t>(Selector::kKernelCode);
  const std::uint64_t sysret_base = static_cast<std::uint64_t>(Selector::kKernelData);
  static_assert(static_cast<std::uint64_t>(Selector::kUserData) == ((0x10 + 8) | 3));
  static_assert(static_cast<std::uint64_t>(Selector::kUserCode) == ((0x10 + 16) | 3));
  wrmsr_raw(kMsrStar, (sysret_base << 48) | (kernel_cs << 32));
  wrmsr_raw(kMsrLstar, reinterpret_cast<std::uint64_t>(syscall_entry));
  wrmsr_raw(kMsrFmask, kSyscallFlagMask);
}

void set_user_mode_hooks(SyscallHandler syscall, ExitToUserHook exit_to_user) {
  __atomic_store_n(&g_exit_to_user, exit_to_user, __ATOMIC_RELEASE);
  __atomic_store_n(&g_syscall, syscall, __ATOMIC_RELEASE);
}

void enter_user_mode(std::uint64_t rip, std::uint64_t rsp) {
  arch_enter_user(rip, rsp, kRflagsIf | kRflagsAlwaysOne);
}

void return_to_user(InterruptFrame& frame) {
  frame.cs = static_cast<std::uint64_t>(Selector::kUserCode);
  frame.ss = static_cast<std::uint64_t>(Selector::kUserData);
  frame.rflags = (frame.rflags & kUserRflagsMask) | kRflagsIf | kRflagsAlwaysOne;
  arch_return_to_user_frame(&frame);
}

void write_user_fs_base(std::uint64_t base) { wrmsr(Msr::kFsBase, base); }
void write_user_gs_base(std::uint64_t base) { wrmsr(Msr::kKernelGsBase, base); }

}  // namespace arch

// syscall_entry.S, interrupts off, on the thread's kernel stack.
extern "C" void arch_syscall_dispatch(arch::InterruptFrame* frame) {
  const arch::SyscallHandler handler = __atomic_load_n(&arch::g_syscall, __ATOMIC_ACQUIRE);
  if (handler != nullptr) {
    handler(*frame);  // enables interrupts
  } else {
    frame->rax = static_cast<std::uint64_t>(-38);  // ENOSYS: no kernel side installed
  }
}

// interrupt_entry.inc and syscall_entry.S, interrupts off, before any return to user mode.
extern "C" void arch_exit_to_user(arch::InterruptFrame* frame) {
  const arch::ExitToUserHook hook = __atomic_load_n(&arch::g_exit_to_user, __ATOMIC_ACQUIRE);
  if (hook != nullptr) hook(*frame);
  arch::cli();
}
