// Turns what the firmware or a file gives as a command line into the kernel's ASCII command
// line. Pure code, host-tested.
#pragma once

#include <cstddef>
#include <cstdint>

namespace loader {

struct CmdlineText {
  std::size_t length = 0;        // ASCII bytes written to the output
  std::size_t skipped = 0;       // non-ASCII characters dropped
  bool truncated = false;        // the output buffer was too small
};

// True when `chars` (UCS-2, `count` units) reads as text: printable characters and spaces,
// optionally NUL terminated. Boot managers put binary data in LoadOptions; that is not text.
bool load_options_are_text(const std::uint16_t* chars, std::size_t count);

// Copies UCS-2 LoadOptions text into `out`, dropping a leading image name ("BOOTX64.EFI" or a
// path ending in .efi, as the UEFI shell passes it) and non-ASCII characters (counted).
CmdlineText cmdline_from_load_options(const std::uint16_t* chars, std::size_t count, char* out,
                                      std::size_t capacity);

// Copies the bytes of cmdline.txt into `out`: line breaks and tabs become spaces, trailing
// whitespace goes, bytes >= 0x80 and other control bytes are dropped (counted).
CmdlineText cmdline_from_file(const std::uint8_t* bytes, std::size_t size, char* out,
                              std::size_t capacity);

}  // namespace loader
