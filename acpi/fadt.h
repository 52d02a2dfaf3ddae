// The Fixed ACPI Description Table ("FACP", ACPI 6.5 §5.2.9): the parts the kernel uses.
//
// The FADT grew with every ACPI revision (116 bytes in 1.0, 244 in 2.0, 276 in 6.x) and firmware
// ships every size, so each field is read only when the table's length covers it; a field the
// table is too short for stays at its "absent" value.
#pragma once

#include <cstdint>

#include "acpi/error.h"
#include "acpi/gas.h"
#include "acpi/sdt.h"

namespace acpi {

// FADT Flags (table 5.10) the kernel cares about.
inline constexpr std::uint32_t kFadtTimerValExt = 1u << 8;      // PM timer is 32-bit, else 24
inline constexpr std::uint32_t kFadtResetRegSupported = 1u << 10;
inline constexpr std::uint32_t kFadtHardwareReduced = 1u << 20;  // no PM timer, no legacy blocks

// IA-PC Boot Architecture Flags (table 5.11).
inline constexpr std::uint16_t kBootLegacyDevices = 1u << 0;
inline constexpr std::uint16_t kBoot8042 = 1u << 1;
inline constexpr std::uint16_t kBootVgaNotPresent = 1u << 2;
inline constexpr std::uint16_t kBootMsiNotSupported = 1u << 3;
inline constexpr std::uint16_t kBootPcieAspmControls = 1u << 4;
inline constexpr std::uint16_t kBootCmosRtcNotPresent = 1u << 5;

struct Fadt {
  std::uint8_t revision = 0;
  std::uint32_t length = 0;
  bool flags_valid = false;  // length covers Flags (offset 112)
  std::uint32_t flags = 0;
  std::uint16_t sci_interrupt = 0;
  std::uint64_t dsdt = 0;    // X_DSDT when present and non-zero, else DSDT
  std::uint64_t facs = 0;    // X_FIRMWARE_CTRL when present and non-zero, else FIRMWARE_CTRL

  // PM timer: X_PM_TMR_BLK when the table covers it and its address is non-zero, else the I/O
  // port in PM_TMR_BLK when PM_TMR_LEN is 4 (the only valid length).
  bool pm_timer_present = false;
  bool pm_timer_from_x_field = false;
  bool pm_timer_32bit = false;  // TMR_VAL_EXT
  Gas pm_timer;

  // Reset register: valid when RESET_REG_SUP is set and the table covers RESET_VALUE.
  bool reset_supported = false;
  Gas reset_register;
  std::uint8_t reset_value = 0;

  // IA-PC boot architecture flags: defined from FADT revision 2 (ACPI 2.0) on; in a revision 1
  // table the field was reserved, so it is not interpreted.
  bool boot_flags_valid = false;
  std::uint16_t boot_flags = 0;
  bool legacy_devices() const { return boot_flags_valid && (boot_flags & kBootLegacyDevices); }
  bool has_8042() const { return boot_flags_valid && (boot_flags & kBoot8042); }
  bool no_vga() const { return boot_flags_valid && (boot_flags & kBootVgaNotPresent); }
  bool msi_not_supported() const { return boot_flags_valid && (boot_flags & kBootMsiNotSupported); }
  bool no_cmos_rtc() const { return boot_flags_valid && (boot_flags & kBootCmosRtcNotPresent); }
  bool hardware_reduced() const { return flags_valid && (flags & kFadtHardwareReduced); }
};

// Needs the FADT checked by check_table()/read_table(); reads only what `length` covers.
klib::Result<Fadt, Error> parse_fadt(const Table& table);
klib::Result<Fadt, Error> parse_fadt(const std::uint8_t* bytes, std::size_t available,
                                     Diagnostics* diag);

}  // namespace acpi
