#include "kernel/core/symbols.h"

namespace ksym {
namespace {

bool is_defined_function(const ElfSymbol& s) {
  return (s.info & 0xF) == kTypeFunc && s.section != kSectionUndefined && s.value != 0;
}

}  // namespace

fmt::StringView SymbolTable::name_at(std::uint32_t offset) const {
  if (offset == 0 || offset >= strings_size_) return {};
  std::size_t end = offset;
  while (end < strings_size_ && strings_[end] != '\0') ++end;
  if (end == strings_size_) return {};  // not terminated inside the table
  return fmt::StringView(strings_ + offset, end - offset);
}

Symbolized SymbolTable::lookup(std::uint64_t address) const {
  const ElfSymbol* best_sized = nullptr;
  const ElfSymbol* best_unsized = nullptr;
  for (std::size_t i = 0; i < count_; ++i) {
    const ElfSymbol& s = symbols_[i];
    if (!is_defined_function(s) || address < s.value) continue;
    if (s.size != 0) {
      if (address - s.value < s.size) best_sized = &s;
    } else if (best_unsized == nullptr || s.value > best_unsized->value) {
      best_unsized = &s;
    }
  }
  const ElfSymbol* best = best_sized ? best_sized : best_unsized;
  if (best == nullptr) return {};
  Symbolized out;
  out.name = name_at(best->name);
  out.offset = address - best->value;
  if (!out.found()) return {};
  return out;
}

std::uint64_t SymbolTable::find(fmt::StringView name) const {
  for (std::size_t i = 0; i < count_; ++i) {
    const ElfSymbol& s = symbols_[i];
    if (!is_defined_function(s)) continue;
    const fmt::StringView n = name_at(s.name);
    if (n.length != name.length) continue;
    bool same = true;
    for (std::size_t k = 0; k < n.length && same; ++k) same = n.data[k] == name.data[k];
    if (same) return s.value;
  }
  return 0;
}

}  // namespace ksym
