// The ELF64 structures and constants the loader reads (System V ABI, ELF-64 Object File Format
// 1.5). Fields are read with memcpy from the file bytes, so these are layouts, not overlays.
#pragma once

#include <cstdint>

namespace elf {

struct Elf64_Ehdr {
  std::uint8_t e_ident[16];
  std::uint16_t e_type;
  std::uint16_t e_machine;
  std::uint32_t e_version;
  std::uint64_t e_entry;
  std::uint64_t e_phoff;
  std::uint64_t e_shoff;
  std::uint32_t e_flags;
  std::uint16_t e_ehsize;
  std::uint16_t e_phentsize;
  std::uint16_t e_phnum;
  std::uint16_t e_shentsize;
  std::uint16_t e_shnum;
  std::uint16_t e_shstrndx;
};
static_assert(sizeof(Elf64_Ehdr) == 64);

struct Elf64_Phdr {
  std::uint32_t p_type;
  std::uint32_t p_flags;
  std::uint64_t p_offset;
  std::uint64_t p_vaddr;
  std::uint64_t p_paddr;
  std::uint64_t p_filesz;
  std::uint64_t p_memsz;
  std::uint64_t p_align;
};
static_assert(sizeof(Elf64_Phdr) == 56);

struct Elf64_Shdr {
  std::uint32_t sh_name;
  std::uint32_t sh_type;
  std::uint64_t sh_flags;
  std::uint64_t sh_addr;
  std::uint64_t sh_offset;
  std::uint64_t sh_size;
  std::uint32_t sh_link;
  std::uint32_t sh_info;
  std::uint64_t sh_addralign;
  std::uint64_t sh_entsize;
};
static_assert(sizeof(Elf64_Shdr) == 64);

struct Elf64_Sym {
  std::uint32_t st_name;
  std::uint8_t st_info;
  std::uint8_t st_other;
  std::uint16_t st_shndx;
  std::uint64_t st_value;
  std::uint64_t st_size;
};
static_assert(sizeof(Elf64_Sym) == 24);

inline constexpr std::uint8_t kMagic[4] = {0x7f, 'E', 'L', 'F'};
inline constexpr std::uint8_t kClass64 = 2;        // e_ident[EI_CLASS]
inline constexpr std::uint8_t kDataLittle = 1;     // e_ident[EI_DATA]
inline constexpr std::uint8_t kVersionCurrent = 1;  // e_ident[EI_VERSION], e_version
inline constexpr std::uint16_t kTypeExec = 2;      // ET_EXEC
inline constexpr std::uint16_t kMachineX86_64 = 62;  // EM_X86_64
inline constexpr std::uint16_t kPhNumExtended = 0xffff;  // PN_XNUM: count lives in section 0

inline constexpr std::uint32_t kPtLoad = 1;
inline constexpr std::uint32_t kPfExecute = 1;
inline constexpr std::uint32_t kPfWrite = 2;
inline constexpr std::uint32_t kPfRead = 4;

inline constexpr std::uint32_t kShtSymtab = 2;
inline constexpr std::uint32_t kShtStrtab = 3;

}  // namespace elf
