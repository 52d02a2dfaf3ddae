// Step 8: the firmware memory map and ExitBootServices.
#include "efi/console.h"
#include "efi/loader.h"
#include "efi/memory_map_convert.h"

namespace loader {
namespace {

constexpr int kExitAttempts = 8;
// Allocations between sizing and reading the map add descriptors; this many spare ones cover
// the map buffer's own allocation and whatever the firmware does meanwhile.
constexpr std::size_t kSlackDescriptors = 64;

struct MapSize {
  UINTN bytes;
  UINTN descriptor_size;
};

Status<MapSize> map_size() {
  UINTN bytes = 0;
  UINTN key = 0;
  UINTN descriptor_size = 0;
  UINT32 version = 0;
  const EFI_STATUS status = BS->GetMemoryMap(&bytes, nullptr, &key, &descriptor_size, &version);
  if (status != EFI_BUFFER_TOO_SMALL || descriptor_size < sizeof(EfiMemoryDescriptor)) {
    log("GetMemoryMap sizing failed (status {:#x}, descriptor size {})", status, descriptor_size);
    return klib::make_error(EFI_ERROR(status) ? status : EFI_LOAD_ERROR);
  }
  return MapSize{bytes, descriptor_size};
}

}  // namespace

Status<std::uint64_t> memory_top() {
  const MapSize size = TRY(map_size());
  const UINTN capacity = size.bytes + kSlackDescriptors * size.descriptor_size;
  const std::uint64_t buffer = TRY(allocate_pages(
      (capacity + boot::kPageSize - 1) / boot::kPageSize, "the memory map"));
  UINTN bytes = capacity;
  UINTN key = 0;
  UINTN descriptor_size = 0;
  UINT32 version = 0;
  const EFI_STATUS status = BS->GetMemoryMap(&bytes, reinterpret_cast<EFI_MEMORY_DESCRIPTOR*>(buffer),
                                             &key, &descriptor_size, &version);
  std::uint64_t top = 0;
  if (!EFI_ERROR(status)) {
    top = highest_address(reinterpret_cast<const std::uint8_t*>(buffer), bytes, descriptor_size);
  }
  BS->FreePages(buffer, (capacity + boot::kPageSize - 1) / boot::kPageSize);
  if (EFI_ERROR(status)) {
    log("GetMemoryMap failed (status {:#x})", status);
    return klib::make_error(status);
  }
  return top;
}

Status<klib::Ok> exit_boot_services(EFI_HANDLE image, boot::BootInfo& info) {
  const MapSize size = TRY(map_size());
  // Both buffers are allocated before the last GetMemoryMap: nothing may allocate after it.
  const std::size_t capacity = size.bytes / size.descriptor_size + kSlackDescriptors;
  const std::uint64_t ranges_bytes = capacity * sizeof(boot::MemoryRange);
  const std::uint64_t ranges = TRY(allocate_pages(
      (ranges_bytes + boot::kPageSize - 1) / boot::kPageSize, "the boot memory map"));
  const UINTN buffer_bytes = capacity * size.descriptor_size;
  const std::uint64_t buffer = TRY(allocate_pages(
      (buffer_bytes + boot::kPageSize - 1) / boot::kPageSize, "the firmware memory map"));

  UINTN bytes = 0;
  UINTN descriptor_size = 0;
  EFI_STATUS status = EFI_LOAD_ERROR;
  // Nothing is printed inside the loop: console output can change the map and stale the key.
  for (int attempt = 0; attempt < kExitAttempts; ++attempt) {
    bytes = buffer_bytes;
    UINTN key = 0;
    UINT32 version = 0;
    status = BS->GetMemoryMap(&bytes, reinterpret_cast<EFI_MEMORY_DESCRIPTOR*>(buffer), &key,
                              &descriptor_size, &version);
    if (EFI_ERROR(status)) break;
    if (descriptor_size < sizeof(EfiMemoryDescriptor) || bytes / descriptor_size > capacity) {
      status = EFI_BUFFER_TOO_SMALL;
      break;
    }
    status = BS->ExitBootServices(image, key);
    if (status != EFI_INVALID_PARAMETER) break;  // success, or an error a retry will not fix
  }
  if (EFI_ERROR(status)) {
    log("ExitBootServices failed after retries (status {:#x})", status);
    return klib::make_error(status);
  }
  // Boot services are gone: no console, no allocation. The checks above make this succeed.
  auto count = convert_memory_map(reinterpret_cast<const std::uint8_t*>(buffer), bytes,
                                  descriptor_size, reinterpret_cast<boot::MemoryRange*>(ranges),
                                  capacity);
  info.memory_map = ranges;
  info.memory_map_count = count.ok() ? static_cast<std::uint32_t>(count.value()) : 0;
  return klib::Ok{};
}

}  // namespace loader
