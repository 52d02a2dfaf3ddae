// The vDSO image check: the ELF shared object built from vdso.c, as the kernel embeds it, read
// the way musl's vDSO lookup reads it (src/internal/vdso.c: PT_LOAD and PT_DYNAMIC, DT_HASH for
// the symbol count, DT_SYMTAB, DT_STRTAB, DT_VERSYM with DT_VERDEF, each symbol's version by
// name). Pure and freestanding: the kernel checks its own image once at boot, host tests check
// the built file and mutations of it. Every offset and count read from the image is checked
// against its size before use.
#pragma once

#include <cstddef>
#include <cstdint>

#include "smp/klib/result.h"

namespace kvdso {

// What the kernel needs to map the image: its size in pages and where its symbols are.
struct ImageInfo {
  std::uint64_t pages = 0;  // PT_LOAD's memory size rounded up to pages
  std::uint64_t clock_gettime = 0;  // offsets of the functions from the image's start
  std::uint64_t getcpu = 0;
};

enum class ImageErrorKind : std::uint8_t {
  kTooSmall,           // shorter than an ELF header, or a table runs past the end
  kNotElf64X86,        // magic, class, data, machine, version
  kNotSharedObject,    // e_type is not ET_DYN
  kBadProgramHeaders,  // e_phentsize, or the table outside the image
  kBadLoadSegment,     // not exactly one PT_LOAD at offset 0, address 0, file size = memory
                       // size within the image, readable and executable, not writable
  kNoDynamic,          // no PT_DYNAMIC inside the load segment
  kMissingTable,       // DT_HASH, DT_SYMTAB, DT_STRTAB, DT_VERSYM or DT_VERDEF absent or outside
  kRelocations,        // DT_REL, DT_RELA, DT_JMPREL or DT_TEXTREL: the image cannot be shared
  kMissingSymbol,      // a required symbol (value: its index in kRequiredSymbols) not found
                       // with version LINUX_2.6 as musl looks it up
  kSymbolOutside,      // a required symbol's value is outside the load segment
  kVvarAbiMismatch,    // pleiades_vvar_abi is not PLEIADES_VVAR_ABI (value: what it says)
};

struct ImageError {
  ImageErrorKind kind;
  std::uint64_t value = 0;
};

const char* describe(ImageErrorKind kind);

// The symbols the image must export with version "LINUX_2.6" (musl asks for the first and the
// getcpu one; the others are Linux's x86-64 vDSO's).
inline constexpr const char* kRequiredSymbols[] = {
    "__vdso_clock_gettime", "__vdso_gettimeofday", "__vdso_time", "__vdso_getcpu",
    "__vdso_clock_getres", "pleiades_vvar_abi"};
inline constexpr const char* kSymbolVersion = "LINUX_2.6";

// Checks `image` (size bytes) and returns what mapping it needs.
klib::Result<ImageInfo, ImageError> check_image(const std::uint8_t* image, std::size_t size);

// musl's lookup on a checked image: the offset of `name` with version `version` (an STT_FUNC,
// STT_OBJECT, STT_NOTYPE or STT_COMMON symbol, bound global, weak or unique, defined), or 0 when
// there is none. Needs an image check_image accepted.
std::uint64_t find_symbol(const std::uint8_t* image, std::size_t size, const char* name,
                          const char* version);

}  // namespace kvdso
