#include "acpi/rsdp.h"

#include "acpi/bytes.h"
#include "acpi/checksum.h"

namespace acpi {
namespace {

constexpr Signature kRsdpName = Signature::from_text("RSDP");

bool has_rsdp_signature(const std::uint8_t* p) {
  const char* sig = "RSD PTR ";
  for (int i = 0; i < 8; ++i) {
    if (p[i] != static_cast<std::uint8_t>(sig[i])) return false;
  }
  return true;
}

}  // namespace

klib::Result<Rsdp, Error> parse_rsdp(const std::uint8_t* bytes, std::size_t available,
                                     Diagnostics* diag) {
  if (bytes == nullptr || available < kRsdpV1Length) {
    return make_error(kRsdpName, 0, Reason::kTableTooShort, available);
  }
  if (!has_rsdp_signature(bytes)) return make_error(kRsdpName, 0, Reason::kRsdpSignature);
  if (byte_sum(bytes, kRsdpV1Length) != 0) {
    return make_error(kRsdpName, 8, Reason::kRsdpChecksum, bytes[8]);
  }
  Rsdp rsdp;
  rsdp.revision = bytes[15];
  // Same rule as the SDT header's OEM fields: NUL ends the text, other junk shows as '?'.
  for (int i = 0; i < 6 && bytes[9 + i] != 0; ++i) {
    std::uint8_t c = bytes[9 + i];
    rsdp.oem_id[i] = (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  }
  rsdp.rsdt = load_le32(bytes + 16);
  // Revision 1 was never assigned; ACPI 2.0 and later use 2. Anything >= 2 has the v2 fields.
  if (rsdp.revision < 2) return rsdp;
  if (available < kRsdpV2Length) {
    warn(diag, kRsdpName, 20, Reason::kRsdpLength, available);
    return rsdp;
  }
  std::uint32_t length = load_le32(bytes + 20);
  if (length < kRsdpV2Length || length > available) {
    warn(diag, kRsdpName, 20, Reason::kRsdpLength, length);
    return rsdp;
  }
  if (byte_sum(bytes, length) != 0) {
    warn(diag, kRsdpName, 32, Reason::kRsdpExtendedChecksum, bytes[32]);
    return rsdp;
  }
  rsdp.length = length;
  rsdp.xsdt = load_le64(bytes + 24);
  return rsdp;
}

klib::Result<Rsdp, Error> read_rsdp(PhysicalMemory& memory, std::uint64_t phys,
                                    Diagnostics* diag) {
  const std::uint8_t* v1 = phys == 0 ? nullptr : memory.map(phys, kRsdpV1Length);
  if (v1 == nullptr) return make_error(kRsdpName, 0, Reason::kRsdpUnreadable, phys);
  if (!has_rsdp_signature(v1) || v1[15] < 2) return parse_rsdp(v1, kRsdpV1Length, diag);
  const std::uint8_t* v2 = memory.map(phys, kRsdpV2Length);
  if (v2 == nullptr) return parse_rsdp(v1, kRsdpV1Length, diag);  // warns, keeps the RSDT
  std::uint32_t length = load_le32(v2 + 20);
  // Map what the length field claims when plausible; parse_rsdp() judges it either way.
  const std::uint8_t* whole = length >= kRsdpV2Length ? memory.map(phys, length) : nullptr;
  if (whole != nullptr) return parse_rsdp(whole, length, diag);
  return parse_rsdp(v2, kRsdpV2Length, diag);
}

}  // namespace acpi
