// How the library reads physical memory: through the caller. The kernel maps through its direct
// map and bounds every request by the firmware memory map; tests and acpiinfo serve bytes from
// buffers. The library itself never dereferences a physical address.
#pragma once

#include <cstdint>

namespace acpi {

class PhysicalMemory {
 public:
  // Returns a pointer through which `length` bytes starting at physical address `phys` can be
  // read, or nullptr when any of them is not readable. The bytes must stay valid and unchanged
  // while the library uses the pointer (for the kernel: forever; tables are never unmapped).
  virtual const std::uint8_t* map(std::uint64_t phys, std::uint64_t length) = 0;

 protected:
  ~PhysicalMemory() = default;
};

}  // namespace acpi
