// gnu-efi's headers for C++: they declare C functions without extern "C", and CHAR16 is a
// 16-bit unsigned short (-fshort-wchar) that u"" literals do not convert to on their own.
#pragma once

extern "C" {
#include <efi.h>
#include <efilib.h>
}

namespace loader {

// A u"" literal as the CHAR16 string the firmware wants (same size and encoding).
inline CHAR16* wide(const char16_t* text) {
  static_assert(sizeof(char16_t) == sizeof(CHAR16));
  return reinterpret_cast<CHAR16*>(const_cast<char16_t*>(text));
}

}  // namespace loader
