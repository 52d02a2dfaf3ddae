// The kernel's own symbol table, for backtraces. Early on it points at the loader's copy of
// .symtab/.strtab (reached through the direct map); before the loader's memory is reclaimed,
// copy_to_heap() moves it into kernel memory.
#pragma once

#include "kernel/boot/boot_info.h"
#include "kernel/core/symbols.h"

namespace ksym {

// Uses the loader's tables in place (valid until mm::reclaim_boot_memory()).
void use_boot_tables(const boot::BootInfo& info);

// Copies the current tables to the heap and switches to the copy. Needs the heap (mm::init).
// Returns false, and leaves the table empty, if the allocation failed: the boot tables are
// about to be reclaimed, so keeping them would be worse than having none.
bool copy_to_heap();

// The current table (empty before use_boot_tables, or when the loader found none).
const SymbolTable& kernel_symbols();

}  // namespace ksym
