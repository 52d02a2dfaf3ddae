#include "acpi/sdt.h"

#include "acpi/bytes.h"
#include "acpi/checksum.h"

namespace acpi {
namespace {

// OEM fields are fixed-width and padded with spaces or, often, NULs: stop at the first NUL as
// iasl does. A tab (seen in real OEM table IDs) is shown as the space it stands for, any other
// non-printable byte as '?', so the text is safe in logs and JSON.
void copy_text(char* out, const std::uint8_t* in, std::size_t n) {
  std::size_t i = 0;
  for (; i < n && in[i] != 0; ++i) {
    std::uint8_t c = in[i];
    out[i] = c == '\t' ? ' ' : (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  }
  out[i] = '\0';
}

SdtHeader decode_header(const std::uint8_t* p) {
  SdtHeader h;
  h.signature = Signature::from_bytes(p);
  h.length = load_le32(p + 4);
  h.revision = p[8];
  h.checksum = p[9];
  copy_text(h.oem_id, p + 10, 6);
  copy_text(h.oem_table_id, p + 16, 8);
  h.oem_revision = load_le32(p + 24);
  copy_text(h.creator_id, p + 28, 4);
  h.creator_revision = load_le32(p + 32);
  return h;
}

Signature name_for(const std::uint8_t* bytes, std::size_t available, const char* expected) {
  if (available >= 4) return Signature::from_bytes(bytes);
  return expected != nullptr ? Signature::from_text(expected) : Signature{};
}

}  // namespace

klib::Result<Table, Error> check_table(const std::uint8_t* bytes, std::size_t available,
                                       const char* expected, Diagnostics* diag,
                                       std::uint64_t phys) {
  Signature name = name_for(bytes, available, expected);
  if (bytes == nullptr || available < kSdtHeaderLength) {
    return make_error(name, 0, Reason::kTableShorterThanHeader, available);
  }
  if (expected != nullptr && !signature_is(bytes, expected)) {
    return make_error(name, 0, Reason::kSignatureMismatch, load_le32(bytes));
  }
  SdtHeader header = decode_header(bytes);
  if (header.length < kSdtHeaderLength) {
    return make_error(name, 4, Reason::kTableShorterThanHeader, header.length);
  }
  if (header.length > available) {
    return make_error(name, 4, Reason::kLengthBeyondMapping, header.length);
  }
  Table table;
  table.bytes = bytes;
  table.length = header.length;
  table.phys = phys;
  table.header = header;
  table.checksum_ok = byte_sum(bytes, header.length) == 0;
  // Linux (and ACPICA by default) use a table with a bad checksum: firmware that forgets to
  // update the checksum after patching a table is common, and the data are usually right.
  if (!table.checksum_ok) warn(diag, name, 9, Reason::kChecksum, header.checksum);
  return table;
}

klib::Result<Table, Error> read_table(PhysicalMemory& memory, std::uint64_t phys,
                                      const char* expected, const Signature& referrer,
                                      std::uint64_t referrer_offset, Diagnostics* diag) {
  const std::uint8_t* head = phys == 0 ? nullptr : memory.map(phys, kSdtHeaderLength);
  if (head == nullptr) {
    return make_error(referrer, referrer_offset, Reason::kTableUnreadable, phys);
  }
  Signature name = Signature::from_bytes(head);
  if (expected != nullptr && !signature_is(head, expected)) {
    return make_error(name, 0, Reason::kSignatureMismatch, load_le32(head));
  }
  std::uint32_t length = load_le32(head + 4);
  if (length < kSdtHeaderLength) {
    return make_error(name, 4, Reason::kTableShorterThanHeader, length);
  }
  const std::uint8_t* whole = memory.map(phys, length);
  if (whole == nullptr) return make_error(name, 4, Reason::kLengthBeyondMapping, length);
  return check_table(whole, length, expected, diag, phys);
}

}  // namespace acpi
