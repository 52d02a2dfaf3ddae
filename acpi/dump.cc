#include "acpi/dump.h"

#include "smp/klib/format.h"

namespace acpi {

void dump_table(LineSink& out, const char* name4, std::uint64_t phys, const std::uint8_t* bytes,
                std::size_t length) {
  // A dump line is at most 8 + 2 + 16*3 + 1 + 16 = 75 characters.
  char buffer[96];
  fmt::FixedBuffer line(buffer, sizeof(buffer));
  fmt::format_to(line, "{}{}{}{} @ 0x{:016X}", name4[0], name4[1], name4[2], name4[3], phys);
  out.line(line.c_str(), line.size());
  for (std::size_t at = 0; at < length; at += 16) {
    line.clear();
    // "%8.4X": 4 hex digits at least, right-aligned in 8 columns.
    char offset[20];
    fmt::FixedBuffer hex(offset, sizeof(offset));
    fmt::format_to(hex, "{:04X}", at);
    fmt::format_to(line, "{:>8}: ", fmt::StringView(hex.c_str(), hex.size()));
    std::size_t n = length - at < 16 ? length - at : 16;
    for (std::size_t i = 0; i < 16; ++i) {
      if (i < n) fmt::format_to(line, "{:02X} ", bytes[at + i]);
      else line.write("   ", 3);
    }
    line.write(" ", 1);
    for (std::size_t i = 0; i < n; ++i) {
      std::uint8_t c = bytes[at + i];
      char shown = (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '.';
      line.write(&shown, 1);
    }
    out.line(line.c_str(), line.size());
  }
  out.line("", 0);
}

}  // namespace acpi
