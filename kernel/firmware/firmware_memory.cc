#include "kernel/firmware/firmware_memory.h"

#include "kernel/mm/mm.h"

namespace kfirmware {
namespace {

// Where ACPI tables may live (ACPI 6.5 §15: ACPI reclaim and NVS memory, or reserved memory;
// UEFI runtime and loader/boot-services data are seen on real firmware). Free RAM is excluded
// (the kernel hands it out, so a table "there" is garbage), as are MMIO and unusable memory.
bool may_hold_tables(boot::EfiMemoryType type) {
  switch (type) {
    case boot::EfiMemoryType::kAcpiReclaim:
    case boot::EfiMemoryType::kAcpiNvs:
    case boot::EfiMemoryType::kReserved:
    case boot::EfiMemoryType::kRuntimeServicesCode:
    case boot::EfiMemoryType::kRuntimeServicesData:
    case boot::EfiMemoryType::kLoaderData:
    case boot::EfiMemoryType::kBootServicesData:
      return true;
    default:
      return false;
  }
}

}  // namespace

const std::uint8_t* FirmwareMemory::map(std::uint64_t phys, std::uint64_t length) {
  if (length == 0 || phys > boot::kDirectMapMaxSize || length > boot::kDirectMapMaxSize - phys) {
    return nullptr;
  }
  const std::uint64_t end = phys + length;
  // Walk forward through adjacent map entries until [phys, end) is covered: a table may straddle
  // two entries of the same kind. Each step advances `covered`, so at most count_ steps.
  std::uint64_t covered = phys;
  for (std::uint32_t step = 0; step <= count_ && covered < end; ++step) {
    bool advanced = false;
    for (std::uint32_t i = 0; i < count_; ++i) {
      const boot::MemoryRange& r = ranges_[i];
      if (r.page_count == 0 || r.page_count > (boot::kDirectMapMaxSize / boot::kPageSize)) continue;
      const std::uint64_t r_end = r.physical_start + r.page_count * boot::kPageSize;
      if (covered >= r.physical_start && covered < r_end && may_hold_tables(r.type)) {
        covered = r_end;
        advanced = true;
        break;
      }
    }
    if (!advanced) return nullptr;
  }
  return covered >= end ? static_cast<const std::uint8_t*>(mm::phys_to_virt(phys)) : nullptr;
}

}  // namespace kfirmware
