#include "efi/rsdp_check.h"

#include <cstring>

namespace loader {
namespace {

std::uint8_t byte_sum(const std::uint8_t* bytes, std::size_t length) {
  std::uint8_t sum = 0;
  for (std::size_t i = 0; i < length; ++i) sum = static_cast<std::uint8_t>(sum + bytes[i]);
  return sum;
}

constexpr std::size_t kRevisionOffset = 15;
constexpr std::size_t kLengthOffset = 20;

}  // namespace

klib::Result<RsdpInfo, const char*> check_rsdp(const std::uint8_t* rsdp, std::size_t readable) {
  if (rsdp == nullptr || readable < kRsdpV1Length) return klib::make_error("RSDP truncated");
  if (std::memcmp(rsdp, "RSD PTR ", 8) != 0) return klib::make_error("bad RSDP signature");
  if (byte_sum(rsdp, kRsdpV1Length) != 0) return klib::make_error("bad RSDP checksum");
  const std::uint8_t revision = rsdp[kRevisionOffset];
  if (revision < 2) return RsdpInfo{0, kRsdpV1Length};
  if (readable < kRsdpV2Length) return klib::make_error("RSDP truncated");
  std::uint32_t length;
  std::memcpy(&length, rsdp + kLengthOffset, sizeof(length));
  if (length < kRsdpV2Length || length > kRsdpMaxLength || length > readable) {
    return klib::make_error("bad RSDP length");
  }
  if (byte_sum(rsdp, length) != 0) return klib::make_error("bad RSDP extended checksum");
  return RsdpInfo{revision, length};
}

}  // namespace loader
