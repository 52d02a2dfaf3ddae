// Symbol lookup over an ELF64 .symtab/.strtab pair, for symbolized backtraces
// (`function+0xoff`). Pure code over caller-supplied memory, tested on the host
// (tests/host/kernel/symbols_test.cc). Every index and name is bounds-checked against the
// table sizes: the tables come from the loader and are not trusted.
#pragma once

#include <cstddef>
#include <cstdint>

#include "smp/klib/format.h"

namespace ksym {

// Elf64_Sym, as in the ELF specification (System V gABI).
struct ElfSymbol {
  std::uint32_t name;   // offset into the string table
  std::uint8_t info;    // type (low 4 bits) and binding (high 4 bits)
  std::uint8_t other;
  std::uint16_t section;
  std::uint64_t value;  // address
  std::uint64_t size;
};
static_assert(sizeof(ElfSymbol) == 24);

inline constexpr std::uint8_t kTypeFunc = 2;  // STT_FUNC
inline constexpr std::uint16_t kSectionUndefined = 0;

struct Symbolized {
  fmt::StringView name;  // empty when nothing matched
  std::uint64_t offset = 0;
  bool found() const { return name.length > 0; }
};

class SymbolTable {
 public:
  constexpr SymbolTable() = default;
  // `symtab_bytes` and `strtab_bytes` are the section sizes in bytes; a trailing partial
  // symbol is ignored.
  SymbolTable(const ElfSymbol* symbols, std::size_t symtab_bytes, const char* strings,
              std::size_t strtab_bytes)
      : symbols_(symbols),
        count_(symbols ? symtab_bytes / sizeof(ElfSymbol) : 0),
        strings_(strings),
        strings_size_(strings ? strtab_bytes : 0) {}

  bool empty() const { return count_ == 0; }
  std::size_t size() const { return count_; }

  // The function containing `address`: a defined STT_FUNC symbol with
  // value <= address < value + size, or, for a size-0 function symbol (assembly labels), the
  // closest one at or below `address`. Linear scan: backtraces are rare.
  Symbolized lookup(std::uint64_t address) const;

  // The address of the defined function called `name`, or 0.
  std::uint64_t find(fmt::StringView name) const;

 private:
  // The NUL-terminated name at `offset` if it lies wholly inside the string table.
  fmt::StringView name_at(std::uint32_t offset) const;

  const ElfSymbol* symbols_ = nullptr;
  std::size_t count_ = 0;
  const char* strings_ = nullptr;
  std::size_t strings_size_ = 0;
};

}  // namespace ksym
