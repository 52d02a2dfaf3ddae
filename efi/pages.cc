// Firmware page allocations for everything the kernel receives.
#include "efi/console.h"
#include "efi/loader.h"

namespace loader {

Status<std::uint64_t> allocate_pages(std::uint64_t count, const char* what) {
  EFI_PHYSICAL_ADDRESS address = 0;
  const EFI_STATUS status = BS->AllocatePages(AllocateAnyPages, EfiLoaderData, count, &address);
  if (EFI_ERROR(status)) {
    log("cannot allocate {} pages for {} (status {:#x})", count, what, status);
    return klib::make_error(status);
  }
  return static_cast<std::uint64_t>(address);
}

}  // namespace loader
