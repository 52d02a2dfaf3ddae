#include "acpi/fadt.h"

namespace acpi {
namespace {

// Field offsets (ACPI 6.5 table 5.9).
constexpr std::size_t kFirmwareCtrl = 36;
constexpr std::size_t kDsdt = 40;
constexpr std::size_t kSciInt = 46;
constexpr std::size_t kPmTmrBlk = 76;
constexpr std::size_t kPmTmrLen = 91;
constexpr std::size_t kBootArch = 109;
constexpr std::size_t kFlags = 112;
constexpr std::size_t kResetReg = 116;
constexpr std::size_t kResetValue = 128;
constexpr std::size_t kXFirmwareCtrl = 132;
constexpr std::size_t kXDsdt = 140;
constexpr std::size_t kXPmTmrBlk = 208;

}  // namespace

klib::Result<Fadt, Error> parse_fadt(const Table& table) {
  const std::uint8_t* p = table.bytes;
  const std::size_t n = table.length;
  // FIRMWARE_CTRL and DSDT are the first fields; a FADT without them is not a FADT.
  if (!fits(n, kDsdt, 4)) return make_error(table.header.signature, 0, Reason::kTableTooShort, n);
  Fadt f;
  f.revision = table.header.revision;
  f.length = table.length;
  f.facs = load_le32(p + kFirmwareCtrl);
  f.dsdt = load_le32(p + kDsdt);
  if (fits(n, kSciInt, 2)) f.sci_interrupt = load_le16(p + kSciInt);
  if (fits(n, kFlags, 4)) {
    f.flags_valid = true;
    f.flags = load_le32(p + kFlags);
  }
  if (fits(n, kXFirmwareCtrl, 8) && load_le64(p + kXFirmwareCtrl) != 0) {
    f.facs = load_le64(p + kXFirmwareCtrl);
  }
  if (fits(n, kXDsdt, 8) && load_le64(p + kXDsdt) != 0) f.dsdt = load_le64(p + kXDsdt);

  f.pm_timer_32bit = f.flags_valid && (f.flags & kFadtTimerValExt) != 0;
  if (!f.hardware_reduced()) {
    if (fits(n, kXPmTmrBlk, kGasLength) && load_le64(p + kXPmTmrBlk + 4) != 0) {
      f.pm_timer_present = true;
      f.pm_timer_from_x_field = true;
      f.pm_timer = load_gas(p + kXPmTmrBlk);
    } else if (fits(n, kPmTmrLen, 1) && p[kPmTmrLen] == 4 && load_le32(p + kPmTmrBlk) != 0) {
      f.pm_timer_present = true;
      f.pm_timer = Gas{static_cast<std::uint8_t>(AddressSpace::kSystemIo), 32, 0, 3,
                       load_le32(p + kPmTmrBlk)};
    }
  }

  if (f.flags_valid && (f.flags & kFadtResetRegSupported) != 0 && fits(n, kResetValue, 1)) {
    f.reset_supported = true;
    f.reset_register = load_gas(p + kResetReg);
    f.reset_value = p[kResetValue];
  }

  if (f.revision >= 2 && fits(n, kBootArch, 2)) {
    f.boot_flags_valid = true;
    f.boot_flags = load_le16(p + kBootArch);
  }
  return f;
}

klib::Result<Fadt, Error> parse_fadt(const std::uint8_t* bytes, std::size_t available,
                                     Diagnostics* diag) {
  return parse_fadt(TRY(check_table(bytes, available, "FACP", diag)));
}

}  // namespace acpi
