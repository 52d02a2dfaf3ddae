#include "acpi/hpet.h"

namespace acpi {

klib::Result<Hpet, Error> parse_hpet(const Table& table) {
  constexpr std::uint32_t kHpetLength = 56;
  if (table.length < kHpetLength) {
    return make_error(table.header.signature, 0, Reason::kTableTooShort, table.length);
  }
  const std::uint8_t* p = table.bytes;
  Hpet h;
  h.event_timer_block_id = load_le32(p + 36);
  h.hardware_revision = static_cast<std::uint8_t>(h.event_timer_block_id & 0xFF);
  h.comparators = static_cast<std::uint8_t>(((h.event_timer_block_id >> 8) & 0x1F) + 1);
  h.counter_64bit = (h.event_timer_block_id & (1u << 13)) != 0;
  h.legacy_replacement = (h.event_timer_block_id & (1u << 15)) != 0;
  h.pci_vendor_id = static_cast<std::uint16_t>(h.event_timer_block_id >> 16);
  h.base = load_gas(p + 40);
  h.hpet_number = p[52];
  h.minimum_tick = load_le16(p + 53);
  h.page_protection = p[55];
  return h;
}

klib::Result<Hpet, Error> parse_hpet(const std::uint8_t* bytes, std::size_t available,
                                     Diagnostics* diag) {
  return parse_hpet(TRY(check_table(bytes, available, "HPET", diag)));
}

}  // namespace acpi
