#include "kernel/core/kernel_symbols.h"

#include <new>

#include "kernel/mm/mm.h"

namespace ksym {
namespace {

constinit SymbolTable g_table;
// Sizes of the current tables in bytes, for the copy.
constinit std::uint64_t g_symtab_bytes = 0;
constinit std::uint64_t g_strtab_bytes = 0;
constinit const void* g_symtab = nullptr;
constinit const char* g_strtab = nullptr;

}  // namespace

void use_boot_tables(const boot::BootInfo& info) {
  if (info.symtab == 0 || info.strtab == 0 || info.symtab_size == 0 || info.strtab_size == 0) {
    return;
  }
  g_symtab = mm::phys_to_virt(info.symtab);
  g_strtab = mm::phys_to<const char>(info.strtab);
  g_symtab_bytes = info.symtab_size;
  g_strtab_bytes = info.strtab_size;
  g_table = SymbolTable(static_cast<const ElfSymbol*>(g_symtab), g_symtab_bytes, g_strtab,
                        g_strtab_bytes);
}

bool copy_to_heap() {
  if (g_symtab == nullptr) return true;  // nothing to copy
  // ElfSymbol-typed storage keeps the copy aligned for the 8-byte fields.
  const std::size_t symbol_count = g_symtab_bytes / sizeof(ElfSymbol);
  // The nothrow forms return null instead of panicking. A nothrow_t temporary rather than
  // std::nothrow: that object lives in libstdc++, which the kernel does not link.
  auto* symbols = new (std::nothrow_t{}) ElfSymbol[symbol_count];
  auto* strings = new (std::nothrow_t{}) char[g_strtab_bytes];
  if (symbols == nullptr || strings == nullptr) {
    delete[] symbols;
    delete[] strings;
    g_table = SymbolTable();
    g_symtab = nullptr;
    return false;
  }
  __builtin_memcpy(symbols, g_symtab, symbol_count * sizeof(ElfSymbol));
  __builtin_memcpy(strings, g_strtab, g_strtab_bytes);
  g_symtab = symbols;
  g_strtab = strings;
  g_symtab_bytes = symbol_count * sizeof(ElfSymbol);
  g_table = SymbolTable(symbols, g_symtab_bytes, strings, g_strtab_bytes);
  return true;
}

const SymbolTable& kernel_symbols() { return g_table; }

}  // namespace ksym
