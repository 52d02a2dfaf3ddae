#include "kernel/core/rsdp.h"

#include "acpi/checksum.h"
#include "kernel/mm/mm.h"

namespace rsdp {
namespace {

// ACPI specification, "Root System Description Pointer (RSDP) Structure".
constexpr std::size_t kV1Length = 20;
constexpr std::size_t kV2Length = 36;
// The extended checksum covers `length` bytes; no revision so far is longer than 36, so a
// much larger length is a corrupt table, not a new format.
constexpr std::uint32_t kMaxLength = 4096;
constexpr char kSignature[8] = {'R', 'S', 'D', ' ', 'P', 'T', 'R', ' '};

template <typename T>
T load(const std::uint8_t* p) {
  T v;
  __builtin_memcpy(&v, p, sizeof(T));  // the RSDP is only 16-byte aligned; fields are packed
  return v;
}

}  // namespace

Info read(std::uint64_t physical) {
  Info info;
  if (physical == 0) {
    info.error = "no RSDP";
    return info;
  }
  const auto* p = mm::phys_to<const std::uint8_t>(physical);
  for (std::size_t i = 0; i < sizeof(kSignature); ++i) {
    if (p[i] != static_cast<std::uint8_t>(kSignature[i])) {
      info.error = "bad signature";
      return info;
    }
  }
  if (acpi::byte_sum(p, kV1Length) != 0) {
    info.error = "bad ACPI 1.0 checksum";
    return info;
  }
  for (int i = 0; i < 6; ++i) info.oem_id[i] = static_cast<char>(p[9 + i]);
  info.revision = p[15];
  info.rsdt = load<std::uint32_t>(p + 16);
  if (info.revision >= 2) {
    const auto length = load<std::uint32_t>(p + 20);
    if (length < kV2Length || length > kMaxLength) {
      info.error = "bad RSDP length";
      return info;
    }
    if (acpi::byte_sum(p, length) != 0) {
      info.error = "bad extended checksum";
      return info;
    }
    info.xsdt = load<std::uint64_t>(p + 24);
  }
  info.valid = true;
  return info;
}

}  // namespace rsdp
