// Step 6: a page below 1 MiB for the AP start-up trampoline. The SIPI vector is a page number
// of 8 bits, so the page must start at or below 0x9f000 (0xa0000 up is legacy VGA/ROM space).
#include "efi/console.h"
#include "efi/loader.h"

namespace loader {
namespace {

constexpr EFI_PHYSICAL_ADDRESS kHighestByte = 0x9ffff;  // last byte of the page at 0x9f000
constexpr int kAttempts = 4;

}  // namespace

void reserve_trampoline_page(boot::BootInfo& info) {
  info.trampoline_page = 0;
  info.trampoline_valid = 0;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    EFI_PHYSICAL_ADDRESS address = kHighestByte;
    const EFI_STATUS status = BS->AllocatePages(AllocateMaxAddress, EfiLoaderData, 1, &address);
    if (EFI_ERROR(status)) break;
    // Page 0 holds the real-mode IVT and doubles as a null pointer; keep it allocated so the
    // firmware cannot hand it out again, and ask once more.
    if (address == 0) continue;
    info.trampoline_page = address;
    info.trampoline_valid = 1;
    log("AP trampoline page at {:#x}", address);
    return;
  }
  log("warning: no free page below 1 MiB, the kernel will run on the boot CPU only");
}

}  // namespace loader
