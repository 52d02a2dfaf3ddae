// The acpi library's PhysicalMemory for the kernel: reads through the direct map, and only where
// the firmware memory map says there is memory that holds firmware data, so a table address or
// length from a broken table cannot make the kernel touch MMIO, unmapped space or free RAM.
#pragma once

#include <cstdint>

#include "acpi/mapping.h"
#include "kernel/boot/boot_info.h"

namespace kfirmware {

class FirmwareMemory final : public acpi::PhysicalMemory {
 public:
  // `ranges` must stay readable while this object is used.
  FirmwareMemory(const boot::MemoryRange* ranges, std::uint32_t count) : ranges_(ranges), count_(count) {}

  const std::uint8_t* map(std::uint64_t phys, std::uint64_t length) override;

 private:
  const boot::MemoryRange* ranges_;
  std::uint32_t count_;
};

}  // namespace kfirmware
