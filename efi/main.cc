// The loader's entry: the boot steps in order (efi/loader.h), and the failure path that reports
// and returns to the firmware instead of hanging.
#include <cstring>

#include "efi/console.h"
#include "efi/elf/validate.h"
#include "efi/loader.h"

namespace loader {

constexpr UINTN kFailureDelayMicroseconds = 3'000'000;  // long enough to read the message

namespace {

Status<klib::Ok> boot(EFI_HANDLE image, EFI_SYSTEM_TABLE* system_table) {
  // First: no point reading the kernel when we could not switch to our page tables.
  TRY_OK(check_paging_mode());
  const std::uint64_t info_page = TRY(allocate_pages(1, "the boot information"));
  auto* info = reinterpret_cast<boot::BootInfo*>(info_page);
  std::memset(info, 0, sizeof(*info));
  info->magic = boot::kBootInfoMagic;
  info->version = boot::kBootInfoVersion;
  info->size = sizeof(boot::BootInfo);

  find_rsdp(system_table, *info);

  auto file = read_file_beside_loader(image, u"kernel.elf");
  if (!file.ok()) {
    log("kernel.elf: cannot read it beside the loader (status {:#x})", file.error());
    return klib::make_error(file.error());
  }

  auto layout = elf::validate_kernel(file.value().data, file.value().size,
                                     boot::kKernelVirtualBase);
  if (!layout.ok()) {
    const elf::ValidationError& e = layout.error();
    if (e.index >= 0) {
      log("kernel.elf: {} {} at offset {:#x}: {}: {}", elf::part_name(e.part), e.index, e.offset,
          e.field, e.problem);
    } else {
      log("kernel.elf: {} at offset {:#x}: {}: {}", elf::part_name(e.part), e.offset, e.field,
          e.problem);
    }
    free_file(file.value());
    return klib::make_error(EFI_LOAD_ERROR);
  }
  auto loaded = load_kernel(file.value(), layout.value(), *info);
  free_file(file.value());
  TRY_OK(loaded);

  const std::uint64_t top = TRY(memory_top());
  info->loader_pml4 = TRY(build_address_space(layout.value(), *info, top));
  find_framebuffer(*info);
  reserve_trampoline_page(*info);
  load_initramfs(image, *info);
  TRY_OK(read_cmdline(image, *info));
  info->efi_runtime_services = reinterpret_cast<std::uint64_t>(system_table->RuntimeServices);

  log("exiting boot services, entering the kernel at {:#x}", layout.value().entry);
  TRY_OK(exit_boot_services(image, *info));
  enter_kernel(info->loader_pml4, layout.value().entry, info_page);
}

}  // namespace
}  // namespace loader

extern "C" EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE* system_table) {
  InitializeLib(image, system_table);
  loader::console_init(system_table);
  loader::log("starting");
  auto result = loader::boot(image, system_table);
  // boot() only returns on failure: the firmware gets the status back and can try another
  // boot option.
  const EFI_STATUS status = result.ok() ? EFI_LOAD_ERROR : result.error();
  loader::log("boot failed (status {:#x}), returning to the firmware", status);
  BS->Stall(loader::kFailureDelayMicroseconds);
  return status;
}
