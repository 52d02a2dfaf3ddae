#include "tests/host/acpi/table_builder.h"

#include <fstream>
#include <iterator>

#include "acpi/checksum.h"

namespace acpi_test {

TableBuilder::TableBuilder(const char* sig4, std::uint8_t revision) {
  for (int i = 0; i < 4; ++i) bytes_.push_back(static_cast<std::uint8_t>(sig4[i]));
  u32(0);  // length, set by finish()
  u8(revision);
  u8(0);   // checksum, set by finish()
  raw({'P', 'L', 'E', 'I', 'A', 'D'});
  raw({'T', 'E', 'S', 'T', 'T', 'B', 'L', ' '});
  u32(1);
  raw({'P', 'L', 'D', 'S'});
  u32(1);
}

TableBuilder& TableBuilder::u8(std::uint8_t v) { bytes_.push_back(v); return *this; }
TableBuilder& TableBuilder::u16(std::uint16_t v) { u8(v & 0xFF); return u8(v >> 8); }
TableBuilder& TableBuilder::u32(std::uint32_t v) { u16(v & 0xFFFF); return u16(v >> 16); }
TableBuilder& TableBuilder::u64(std::uint64_t v) { u32(v & 0xFFFFFFFF); return u32(v >> 32); }
TableBuilder& TableBuilder::raw(const Bytes& b) { bytes_.insert(bytes_.end(), b.begin(), b.end()); return *this; }
TableBuilder& TableBuilder::zeros(std::size_t n) { bytes_.insert(bytes_.end(), n, 0); return *this; }

void put_le32(Bytes& b, std::size_t offset, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[offset + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

void fix_checksum(Bytes& table) {
  table[9] = 0;
  table[9] = static_cast<std::uint8_t>(0 - acpi::byte_sum(table.data(), table.size()));
}

Bytes TableBuilder::finish() const {
  Bytes out = bytes_;
  put_le32(out, 4, static_cast<std::uint32_t>(out.size()));
  fix_checksum(out);
  return out;
}

MadtBuilder::MadtBuilder(std::uint8_t revision, std::uint32_t lapic, std::uint32_t flags)
    : TableBuilder("APIC", revision) {
  u32(lapic);
  u32(flags);
}

MadtBuilder& MadtBuilder::local_apic(std::uint8_t uid, std::uint8_t apic_id, std::uint32_t flags) {
  u8(0).u8(8).u8(uid).u8(apic_id).u32(flags);
  return *this;
}
MadtBuilder& MadtBuilder::io_apic(std::uint8_t id, std::uint32_t address, std::uint32_t gsi_base) {
  u8(1).u8(12).u8(id).u8(0).u32(address).u32(gsi_base);
  return *this;
}
MadtBuilder& MadtBuilder::override_(std::uint8_t bus, std::uint8_t irq, std::uint32_t gsi,
                                    std::uint16_t flags) {
  u8(2).u8(10).u8(bus).u8(irq).u32(gsi).u16(flags);
  return *this;
}
MadtBuilder& MadtBuilder::nmi_source(std::uint16_t flags, std::uint32_t gsi) {
  u8(3).u8(8).u16(flags).u32(gsi);
  return *this;
}
MadtBuilder& MadtBuilder::lapic_nmi(std::uint8_t uid, std::uint16_t flags, std::uint8_t lint) {
  u8(4).u8(6).u8(uid).u16(flags).u8(lint);
  return *this;
}
MadtBuilder& MadtBuilder::address_override(std::uint64_t address) {
  u8(5).u8(12).u16(0).u64(address);
  return *this;
}
MadtBuilder& MadtBuilder::x2apic(std::uint32_t apic_id, std::uint32_t flags, std::uint32_t uid) {
  u8(9).u8(16).u16(0).u32(apic_id).u32(flags).u32(uid);
  return *this;
}
MadtBuilder& MadtBuilder::x2apic_nmi(std::uint32_t uid, std::uint16_t flags, std::uint8_t lint) {
  u8(0xA).u8(12).u16(flags).u32(uid).u8(lint).u8(0).u8(0).u8(0);
  return *this;
}
MadtBuilder& MadtBuilder::wakeup(std::uint16_t version, std::uint64_t mailbox,
                                 bool with_reset_vector, std::uint64_t reset_vector) {
  u8(0x10).u8(with_reset_vector ? 24 : 16).u16(version).u32(0).u64(mailbox);
  if (with_reset_vector) u64(reset_vector);
  return *this;
}
MadtBuilder& MadtBuilder::entry(std::uint8_t type, std::uint8_t length, const Bytes& body) {
  u8(type).u8(length).raw(body);
  return *this;
}

Bytes make_rsdp(std::uint8_t revision, std::uint32_t rsdt, std::uint64_t xsdt) {
  Bytes b = {'R', 'S', 'D', ' ', 'P', 'T', 'R', ' ', 0, 'P', 'L', 'E', 'I', 'A', 'D', revision};
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(rsdt >> (8 * i)));
  b[8] = static_cast<std::uint8_t>(0 - acpi::byte_sum(b.data(), 20));
  if (revision < 2) return b;
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(36u >> (8 * i)));
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::uint8_t>(xsdt >> (8 * i)));
  b.insert(b.end(), {0, 0, 0, 0});
  b[32] = static_cast<std::uint8_t>(0 - acpi::byte_sum(b.data(), 36));
  return b;
}

Bytes make_root(const char* sig4, const std::vector<std::uint64_t>& addresses) {
  TableBuilder t(sig4, 1);
  bool wide = sig4[0] == 'X';
  for (std::uint64_t a : addresses) {
    if (wide) t.u64(a);
    else t.u32(static_cast<std::uint32_t>(a));
  }
  return t.finish();
}

const std::uint8_t* MemoryImage::map(std::uint64_t phys, std::uint64_t length) {
  auto it = regions_.upper_bound(phys);
  if (it == regions_.begin()) return nullptr;
  --it;
  std::uint64_t offset = phys - it->first;
  if (offset > it->second.size() || length > it->second.size() - offset) return nullptr;
  return it->second.data() + offset;
}

Bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace acpi_test
