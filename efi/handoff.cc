// Step 9: the jump into the kernel (the register state is the boot protocol in boot_info.h).
#include "efi/loader.h"

namespace loader {
namespace {

constexpr std::uint32_t kMsrEfer = 0xc0000080;
constexpr std::uint64_t kEferNxe = 1ull << 11;
constexpr std::uint64_t kCr0Wp = 1ull << 16;

}  // namespace

void enter_kernel(std::uint64_t pml4, std::uint64_t entry, std::uint64_t boot_info) {
  asm volatile("cli");
  // NXE before the CR3 load: with it clear, bit 63 in the new tables is a reserved bit and the
  // first walk would fault.
  std::uint32_t low, high;
  asm volatile("rdmsr" : "=a"(low), "=d"(high) : "c"(kMsrEfer));
  const std::uint64_t efer = ((std::uint64_t{high} << 32) | low) | kEferNxe;
  asm volatile("wrmsr" : : "c"(kMsrEfer), "a"(std::uint32_t(efer)), "d"(std::uint32_t(efer >> 32)));
  std::uint64_t cr0;
  asm volatile("mov %%cr0, %0" : "=r"(cr0));
  asm volatile("mov %0, %%cr0" : : "r"(cr0 | kCr0Wp));
  // The new tables identity-map this code and its stack, so execution continues after the
  // load. The stack is aligned as after a call (rsp + 8 a multiple of 16) with a zero return
  // address that ends backtraces.
  asm volatile(
      "mov %0, %%cr3\n"
      "mov %2, %%rdi\n"
      "and $-16, %%rsp\n"
      "pushq $0\n"
      "jmp *%1\n"
      :
      : "r"(pml4), "r"(entry), "r"(boot_info)
      : "rdi", "memory");
  __builtin_unreachable();
}

}  // namespace loader
