// Step 9: the jump into the kernel (the register state is the boot protocol in boot_info.h).
#include "efi/console.h"
#include "efi/loader.h"

namespace loader {
namespace {

constexpr std::uint32_t kMsrEfer = 0xc0000080;
constexpr std::uint64_t kEferNxe = 1ull << 11;
constexpr std::uint64_t kCr0Wp = 1ull << 16;
constexpr std::uint64_t kCr4La57 = 1ull << 12;  // 5-level paging (Intel SDM vol. 3A 2.5)

}  // namespace

Status<klib::Ok> check_paging_mode() {
  std::uint64_t cr4;
  asm volatile("mov %%cr4, %0" : "=r"(cr4));
  if (cr4 & kCr4La57) {
    // CR3 would then be read as a PML5: our PML4 as the top level maps nothing we expect, and
    // the first fetch after the load faults with no handler: a silent reset. LA57 cannot be
    // turned off in long mode, so give the machine back to the firmware instead.
    log("5-level paging (CR4.LA57) is on; this kernel needs 4-level paging");
    return klib::make_error(EFI_UNSUPPORTED);
  }
  return klib::Ok{};
}

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
