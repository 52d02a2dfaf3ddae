// Step 3: the kernel's PT_LOAD segments in one physically contiguous block, and its symbols.
#include <cstring>

#include "efi/console.h"
#include "efi/elf/elf64.h"
#include "efi/loader.h"

namespace loader {
namespace {

constexpr std::uint64_t pages_for(std::uint64_t bytes) {
  return (bytes + boot::kPageSize - 1) / boot::kPageSize;
}

}  // namespace

Status<klib::Ok> load_kernel(const FileData& file, const elf::KernelLayout& layout,
                             boot::BootInfo& info) {
  // The validator guarantees virtual_first < virtual_end, both page aligned, inside the top 2 GiB.
  const std::uint64_t span = layout.virtual_end - layout.virtual_first;
  const std::uint64_t base = TRY(allocate_pages(span / boot::kPageSize, "the kernel image"));
  auto* block = reinterpret_cast<std::uint8_t*>(base);
  std::memset(block, 0, span);  // bss and the gaps between segments start zeroed
  for (std::size_t i = 0; i < layout.segment_count; ++i) {
    const elf::LoadSegment& s = layout.segments[i];
    std::memcpy(block + (s.virtual_address - layout.virtual_first), file.data + s.file_offset,
                s.file_size);
  }
  info.kernel_physical_base = base;
  info.kernel_physical_size = span;
  info.kernel_virtual_base = layout.virtual_first;

  info.symtab = info.symtab_size = info.strtab = info.strtab_size = 0;
  if (layout.symtab.size != 0) {
    // Both tables in one allocation; the string table starts on its own page.
    const std::uint64_t sym_pages = pages_for(layout.symtab.size);
    const std::uint64_t str_pages = pages_for(layout.strtab.size);
    auto symbols = allocate_pages(sym_pages + str_pages, "the kernel symbols");
    if (symbols.ok()) {
      auto* out = reinterpret_cast<std::uint8_t*>(symbols.value());
      std::memcpy(out, file.data + layout.symtab.offset, layout.symtab.size);
      std::memcpy(out + sym_pages * boot::kPageSize, file.data + layout.strtab.offset,
                  layout.strtab.size);
      info.symtab = symbols.value();
      info.symtab_size = layout.symtab.size;
      info.strtab = symbols.value() + sym_pages * boot::kPageSize;
      info.strtab_size = layout.strtab.size;
    } else {
      log("warning: booting without kernel symbols");  // backtraces lose names, nothing else
    }
  }
  log("kernel: {} bytes, {} segments, {:#x}..{:#x} at physical {:#x}, entry {:#x}, {} symbols",
      file.size, layout.segment_count, layout.virtual_first, layout.virtual_end, base,
      layout.entry, info.symtab_size / sizeof(elf::Elf64_Sym));
  return klib::Ok{};
}

}  // namespace loader
