// acpiinfo's inputs: binary tables as acpixtract writes them (apic.dat, facp.dat, rsdp.dat ...)
// and acpidump-style text (a Linux acpidump, or the kernel's acpi=dump log), turned into blobs.
// A blob from a text dump knows its physical address; a binary file does not.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "acpi/mapping.h"

namespace acpiinfo {

struct Blob {
  std::string file;
  std::string name;  // signature, "RSDP" for the root pointer
  bool has_address = false;
  std::uint64_t phys = 0;
  std::vector<std::uint8_t> bytes;
};

class Inputs {
 public:
  // Reads one file and adds its tables. On failure returns false with a message naming it.
  bool load(const std::string& path, std::string& error);
  // Adds text or binary content as if read from `file` (used by load() and by tests).
  bool add(const std::string& file, const std::string& content, std::string& error);

  const std::vector<Blob>& blobs() const { return blobs_; }
  // The RSDP blob with an address, if any: tables can then be found the way the kernel does.
  const Blob* addressed_rsdp() const;
  // First blob named `sig`, or nullptr.
  const Blob* by_name(const std::string& sig) const;
  // The blob holding physical address `phys`, or nullptr.
  const Blob* at_address(std::uint64_t phys) const;

 private:
  std::vector<Blob> blobs_;
};

// Serves the addressed blobs as physical memory; anything else is unreadable.
class BlobMemory final : public acpi::PhysicalMemory {
 public:
  explicit BlobMemory(const Inputs& inputs) : inputs_(inputs) {}
  const std::uint8_t* map(std::uint64_t phys, std::uint64_t length) override;

 private:
  const Inputs& inputs_;
};

}  // namespace acpiinfo
