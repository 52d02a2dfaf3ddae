// Checks a kernel ELF file in memory before the loader trusts any of its numbers, and extracts
// what loading needs. Pure code: no firmware calls, host-tested (tests/host/efi/elf_test.cc).
#pragma once

#include <cstddef>
#include <cstdint>

#include "smp/klib/result.h"

namespace elf {

inline constexpr std::size_t kMaxLoadSegments = 16;

// Which structure an error is in.
enum class Part : std::uint8_t { kFile, kElfHeader, kProgramHeader, kSectionHeader };

// A validation failure: the structure, its index (program / section header number, -1 for the
// ELF header), the field, the file offset of that field, and what is wrong with it.
struct ValidationError {
  Part part = Part::kFile;
  int index = -1;
  const char* field = "";
  std::uint64_t offset = 0;
  const char* problem = "";
};

const char* part_name(Part part);

struct LoadSegment {
  std::uint64_t file_offset;
  std::uint64_t virtual_address;
  std::uint64_t file_size;
  std::uint64_t memory_size;
  bool writable;
  bool executable;
};

// A checked section of the file (offset + size inside it); size 0 when absent.
struct FileRange {
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
};

struct KernelLayout {
  LoadSegment segments[kMaxLoadSegments];
  std::size_t segment_count;
  std::uint64_t entry;
  std::uint64_t virtual_first;  // lowest PT_LOAD vaddr rounded down to 4 KiB
  std::uint64_t virtual_end;    // highest PT_LOAD vaddr + memsz rounded up to 4 KiB
  FileRange symtab;             // .symtab and the .strtab it links to, both or neither
  FileRange strtab;
};

// Validates `size` bytes at `file` as a kernel executable whose segments must all lie at or above
// `lowest_virtual` (boot::kKernelVirtualBase for the real kernel). All arithmetic on file values
// is overflow checked; a success guarantees every range in the layout lies inside the file.
klib::Result<KernelLayout, ValidationError> validate_kernel(const std::uint8_t* file,
                                                            std::size_t size,
                                                            std::uint64_t lowest_virtual);

}  // namespace elf
