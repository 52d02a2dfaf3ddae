#include "kernel/core/boot_info_check.h"

namespace boot {

const char* check_boot_info(const BootInfo& info) {
  if (info.magic != kBootInfoMagic) return "bad magic";
  if (info.version != kBootInfoVersion) return "unknown version";
  // A newer loader may append fields; a shorter structure lacks fields this kernel reads.
  if (info.size < sizeof(BootInfo)) return "structure smaller than this kernel's BootInfo";
  if (info.memory_map == 0 || info.memory_map_count == 0) return "no memory map";
  if (info.cmdline_length > kMaxCmdlineLength) return "command line longer than kMaxCmdlineLength";
  if (info.cmdline_length != 0 && info.cmdline == 0) return "command line length without address";
  if ((info.symtab == 0) != (info.symtab_size == 0) ||
      (info.strtab == 0) != (info.strtab_size == 0)) {
    return "symbol table address and size disagree";
  }
  if ((info.initramfs == 0) != (info.initramfs_size == 0)) {
    return "initramfs address and size disagree";
  }
  if (info.initramfs_size > ~std::uint64_t{0} - info.initramfs) return "initramfs range wraps";
  return nullptr;
}

}  // namespace boot
