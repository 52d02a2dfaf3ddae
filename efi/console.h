// Loader messages on the firmware console (ConOut; OVMF mirrors it to the serial port).
// Only usable while boot services run.
#pragma once

#include "efi/uefi.h"
#include "smp/klib/format.h"

namespace loader {

// Sets up the console; call once at entry.
void console_init(EFI_SYSTEM_TABLE* system_table);

// fmt::Sink over ConOut: ASCII in, CHAR16 out, "\n" becomes "\r\n".
fmt::Sink& console();

// One line, prefixed with "pleiades loader: ".
template <typename... Args>
void log(fmt::StringView format, const Args&... args) {
  fmt::format_to(console(), "pleiades loader: ");
  fmt::format_to(console(), format, args...);
  fmt::format_to(console(), "\n");
}

}  // namespace loader
