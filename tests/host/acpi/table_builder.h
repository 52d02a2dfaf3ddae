// Builds synthetic ACPI tables and physical memory images for the tests: every MADT entry type,
// and deliberately broken tables (wrong lengths, checksums, entries) for every error path.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "acpi/mapping.h"

namespace acpi_test {

using Bytes = std::vector<std::uint8_t>;

class TableBuilder {
 public:
  TableBuilder(const char* sig4, std::uint8_t revision);

  TableBuilder& u8(std::uint8_t v);
  TableBuilder& u16(std::uint16_t v);
  TableBuilder& u32(std::uint32_t v);
  TableBuilder& u64(std::uint64_t v);
  TableBuilder& raw(const Bytes& b);
  TableBuilder& zeros(std::size_t n);
  std::size_t size() const { return bytes_.size(); }

  // Sets the length field to the bytes written and fixes the checksum.
  Bytes finish() const;

 protected:
  Bytes bytes_;
};

// Recomputes the checksum after a test edited a finished table.
void fix_checksum(Bytes& table);
void put_le32(Bytes& b, std::size_t offset, std::uint32_t v);

class MadtBuilder : public TableBuilder {
 public:
  explicit MadtBuilder(std::uint8_t revision = 5, std::uint32_t lapic = 0xFEE00000,
                       std::uint32_t flags = 1);
  MadtBuilder& local_apic(std::uint8_t uid, std::uint8_t apic_id, std::uint32_t flags);
  MadtBuilder& io_apic(std::uint8_t id, std::uint32_t address, std::uint32_t gsi_base);
  MadtBuilder& override_(std::uint8_t bus, std::uint8_t irq, std::uint32_t gsi, std::uint16_t flags);
  MadtBuilder& nmi_source(std::uint16_t flags, std::uint32_t gsi);
  MadtBuilder& lapic_nmi(std::uint8_t uid, std::uint16_t flags, std::uint8_t lint);
  MadtBuilder& address_override(std::uint64_t address);
  MadtBuilder& x2apic(std::uint32_t apic_id, std::uint32_t flags, std::uint32_t uid);
  MadtBuilder& x2apic_nmi(std::uint32_t uid, std::uint16_t flags, std::uint8_t lint);
  MadtBuilder& wakeup(std::uint16_t version, std::uint64_t mailbox, bool with_reset_vector = false,
                      std::uint64_t reset_vector = 0);
  // Any bytes as an entry: type, then `length` as written, then `body` (may disagree on purpose).
  MadtBuilder& entry(std::uint8_t type, std::uint8_t length, const Bytes& body);
};

// An RSDP: revision 0 (20 bytes) or 2 (36 bytes), checksums correct.
Bytes make_rsdp(std::uint8_t revision, std::uint32_t rsdt, std::uint64_t xsdt);
// An XSDT (8-byte entries) or RSDT (4-byte entries) listing `addresses`.
Bytes make_root(const char* sig4, const std::vector<std::uint64_t>& addresses);

// Physical memory made of placed buffers; everything else is unreadable.
class MemoryImage final : public acpi::PhysicalMemory {
 public:
  void place(std::uint64_t phys, Bytes bytes) { regions_[phys] = std::move(bytes); }
  const std::uint8_t* map(std::uint64_t phys, std::uint64_t length) override;
  const std::map<std::uint64_t, Bytes>& regions() const { return regions_; }

 private:
  std::map<std::uint64_t, Bytes> regions_;
};

// Reads a whole file; fails the calling test when it cannot.
Bytes read_file(const std::string& path);

}  // namespace acpi_test
