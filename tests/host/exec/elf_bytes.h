// Test helpers for ELF files as bytes: the fixtures make_fixtures.sh built, fields read and
// written by offset (so a test can break exactly one), and small files written from scratch
// for layouts no linker emits.
#pragma once

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "kernel/exec/elf_image.h"

namespace exec_test {

// Field offsets (System V gABI, ELF64).
inline constexpr std::size_t kEType = 16, kEMachine = 18, kEVersion = 20, kEEntry = 24,
                             kEPhoff = 32, kEEhsize = 52, kEPhentsize = 54, kEPhnum = 56;
inline constexpr std::size_t kPType = 0, kPFlags = 4, kPOffset = 8, kPVaddr = 16, kPFilesz = 32,
                             kPMemsz = 40, kPAlign = 48;
inline constexpr std::uint32_t kPtLoad = 1, kPtInterp = 3, kPtNote = 4, kPtPhdr = 6, kPtTls = 7,
                               kPtGnuStack = 0x6474e551;
inline constexpr std::uint32_t kPfX = 1, kPfW = 2, kPfR = 4;

inline std::string fixture_path(const char* name) {
  return std::string(PLEIADES_EXEC_FIXTURES) + "/" + name;
}

// The file's bytes; empty when it does not exist.
inline std::vector<std::uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

class ElfBytes {
 public:
  explicit ElfBytes(std::vector<std::uint8_t> bytes) : bytes_(std::move(bytes)) {}

  std::uint64_t get(std::size_t at, unsigned size) const {
    std::uint64_t v = 0;
    for (unsigned i = size; i > 0; --i) v = (v << 8) | bytes_.at(at + i - 1);
    return v;
  }
  void set(std::size_t at, unsigned size, std::uint64_t value) {
    for (unsigned i = 0; i < size; ++i) {
      bytes_.at(at + i) = static_cast<std::uint8_t>(value >> (8 * i));
    }
  }
  std::size_t phnum() const { return get(kEPhnum, 2); }
  // Offset of field `field` of program header `index`.
  std::size_t ph(std::size_t index, std::size_t field) const {
    return get(kEPhoff, 8) + index * 56 + field;
  }
  std::uint64_t ph_get(std::size_t index, std::size_t field) const {
    return get(ph(index, field), field == kPType || field == kPFlags ? 4 : 8);
  }
  void ph_set(std::size_t index, std::size_t field, std::uint64_t value) {
    set(ph(index, field), field == kPType || field == kPFlags ? 4 : 8, value);
  }
  // Indices of the program headers of `type`, in table order.
  std::vector<std::size_t> headers(std::uint32_t type) const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < phnum(); ++i) {
      if (ph_get(i, kPType) == type) out.push_back(i);
    }
    return out;
  }
  klib::Result<kexec::ElfImage, kexec::ElfError> parse() const {
    return kexec::parse_elf(bytes_.data(), bytes_.size());
  }
  std::vector<std::uint8_t>& bytes() { return bytes_; }
  const std::vector<std::uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<std::uint8_t> bytes_;
};

struct Header {
  std::uint32_t type, flags;
  std::uint64_t offset, vaddr, filesz, memsz, align;
};

// An ELF file of `size` bytes (zeros after the headers): the file header, then `headers` at 64.
inline ElfBytes synthetic_elf(std::uint16_t type, std::uint64_t entry,
                              const std::vector<Header>& headers, std::size_t size) {
  ElfBytes e(std::vector<std::uint8_t>(size, 0));
  const std::uint8_t ident[] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
  for (std::size_t i = 0; i < sizeof(ident); ++i) e.set(i, 1, ident[i]);
  e.set(kEType, 2, type);
  e.set(kEMachine, 2, 62);
  e.set(kEVersion, 4, 1);
  e.set(kEEntry, 8, entry);
  e.set(kEPhoff, 8, 64);
  e.set(kEEhsize, 2, 64);
  e.set(kEPhentsize, 2, 56);
  e.set(kEPhnum, 2, headers.size());
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const Header& h = headers[i];
    e.ph_set(i, kPType, h.type);
    e.ph_set(i, kPFlags, h.flags);
    e.ph_set(i, kPOffset, h.offset);
    e.ph_set(i, kPVaddr, h.vaddr);
    e.ph_set(i, kPFilesz, h.filesz);
    e.ph_set(i, kPMemsz, h.memsz);
    e.ph_set(i, kPAlign, h.align);
  }
  return e;
}

}  // namespace exec_test
