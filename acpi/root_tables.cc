#include "acpi/root_tables.h"

#include "acpi/bytes.h"

namespace acpi {
namespace {

constexpr Signature kRsdpName = Signature::from_text("RSDP");

std::uint32_t entries_in(const Table& root, std::uint32_t entry_size, Diagnostics* diag) {
  std::uint32_t body = root.length - static_cast<std::uint32_t>(kSdtHeaderLength);
  // A partial trailing entry cannot hold an address; ignore it rather than read past it.
  if (body % entry_size != 0) {
    warn(diag, root.header.signature, root.length - body % entry_size,
         Reason::kRootTrailingBytes, body % entry_size);
  }
  return body / entry_size;
}

}  // namespace

klib::Result<RootTables, Error> RootTables::open(PhysicalMemory& memory, std::uint64_t rsdp_phys,
                                                 Diagnostics* diag) {
  RootTables out(memory);
  out.rsdp_ = TRY(read_rsdp(memory, rsdp_phys, diag));

  if (out.rsdp_.xsdt != 0) {
    auto xsdt = read_table(memory, out.rsdp_.xsdt, "XSDT", kRsdpName, 24, diag);
    if (xsdt.ok()) {
      std::uint32_t count = entries_in(xsdt.value(), 8, diag);
      // ACPICA treats an XSDT without entries, or whose first entry is null, as broken
      // firmware and falls back to the RSDT; so do we, when there is an RSDT to fall back to.
      bool usable = count > 0 && load_le64(xsdt.value().bytes + 36) != 0;
      if (usable || out.rsdp_.rsdt == 0) {
        out.root_ = xsdt.value();
        out.entry_size_ = 8;
        out.count_ = count;
        return out;
      }
      warn(diag, Signature::from_text("XSDT"), 36, Reason::kXsdtUnusable, count);
    } else {
      Error e = xsdt.error();
      if (diag != nullptr) diag->warning(e);
      warn(diag, Signature::from_text("XSDT"), e.offset, Reason::kXsdtUnusable, out.rsdp_.xsdt);
      if (out.rsdp_.rsdt == 0) return klib::make_error(e);
    }
  }
  if (out.rsdp_.rsdt == 0) return make_error(kRsdpName, 16, Reason::kNoRootTable);
  out.root_ = TRY(read_table(memory, out.rsdp_.rsdt, "RSDT", kRsdpName, 16, diag));
  out.entry_size_ = 4;
  out.count_ = entries_in(out.root_, 4, diag);
  return out;
}

std::uint64_t RootTables::entry_address(std::uint32_t index) const {
  const std::uint8_t* p = root_.bytes + entry_offset(index);
  return entry_size_ == 8 ? load_le64(p) : load_le32(p);
}

klib::Result<Table, Error> RootTables::table_at(std::uint32_t index, Diagnostics* diag) const {
  if (index >= count_) return make_error(root_.header.signature, entry_offset(index), Reason::kNotFound);
  return read_table(*memory_, entry_address(index), nullptr, root_.header.signature,
                    entry_offset(index), diag);
}

klib::Result<Table, Error> RootTables::find(const char* signature, std::uint32_t instance,
                                            Diagnostics* diag) const {
  std::uint32_t seen = 0;
  for (std::uint32_t i = 0; i < count_; ++i) {
    std::uint64_t phys = entry_address(i);
    if (phys == 0) {
      warn(diag, root_.header.signature, entry_offset(i), Reason::kRootNullEntry);
      continue;
    }
    // Look at the signature first so that a broken table of another kind does not matter here.
    const std::uint8_t* head = memory_->map(phys, 4);
    if (head == nullptr) {
      warn(diag, root_.header.signature, entry_offset(i), Reason::kTableUnreadable, phys);
      continue;
    }
    if (!signature_is(head, signature)) continue;
    if (seen++ != instance) continue;
    return read_table(*memory_, phys, signature, root_.header.signature, entry_offset(i), diag);
  }
  return make_error(Signature::from_text(signature), 0, Reason::kNotFound, instance);
}

}  // namespace acpi
