// The boot protocol between the UEFI loader (efi/) and the kernel (kernel/).
//
// The loader fills one BootInfo and jumps to the kernel entry with:
//   rdi = physical address of the BootInfo (the kernel reads it through the direct map),
//   CR3 = the loader's page tables (kernel image, direct map, identity map of low memory),
//   EFER.NXE and CR0.WP set, interrupts disabled, boot services exited.
// Every address in BootInfo is physical unless its name says otherwise. All structures are
// plain data with fixed-size fields so the loader (PIC, MS ABI) and kernel agree on the layout.
// docs/boot-flow.md describes the whole protocol; docs/memory-layout.md the address space.
#pragma once

#include <cstddef>
#include <cstdint>

namespace boot {

inline constexpr std::uint64_t kBootInfoMagic = 0x5345444149454c50;  // "PLEIADES", little endian
inline constexpr std::uint32_t kBootInfoVersion = 3;  // 2: Framebuffer::bits_per_pixel, 3: initramfs

// Fixed virtual layout (docs/memory-layout.md).
inline constexpr std::uint64_t kKernelVirtualBase = 0xffffffff80000000;  // -mcmodel=kernel
inline constexpr std::uint64_t kDirectMapBase = 0xffff800000000000;      // PML4 slot 256
inline constexpr std::uint64_t kDirectMapMaxSize = 0x0000400000000000;   // 64 TiB
inline constexpr std::uint64_t kPageSize = 4096;

// UEFI memory types, as in the UEFI specification (EFI_MEMORY_TYPE).
enum class EfiMemoryType : std::uint32_t {
  kReserved = 0,
  kLoaderCode = 1,
  kLoaderData = 2,
  kBootServicesCode = 3,
  kBootServicesData = 4,
  kRuntimeServicesCode = 5,
  kRuntimeServicesData = 6,
  kConventional = 7,
  kUnusable = 8,
  kAcpiReclaim = 9,
  kAcpiNvs = 10,
  kMemoryMappedIo = 11,
  kMemoryMappedIoPortSpace = 12,
  kPalCode = 13,
  kPersistent = 14,
  kUnaccepted = 15,
};

// One entry of the firmware memory map, copied out of the EFI descriptors (whose stride varies
// by firmware) into a fixed layout.
struct MemoryRange {
  std::uint64_t physical_start;
  std::uint64_t page_count;  // 4 KiB pages
  std::uint64_t attributes;  // EFI_MEMORY_* attribute bits (EFI_MEMORY_RUNTIME = 1ull << 63)
  EfiMemoryType type;
  std::uint32_t reserved;
};
static_assert(sizeof(MemoryRange) == 32);

enum class PixelFormat : std::uint32_t {
  kNone = 0,  // no framebuffer (headless, or GOP missing)
  kRgbx8 = 1,  // PixelRedGreenBlueReserved8BitPerColor
  kBgrx8 = 2,  // PixelBlueGreenRedReserved8BitPerColor
  kBitmask = 3,  // PixelBitMask: see the masks
};

struct Framebuffer {
  std::uint64_t physical_base;
  std::uint64_t size;  // bytes
  std::uint32_t width;
  std::uint32_t height;
  std::uint32_t pixels_per_scanline;  // stride in pixels of bits_per_pixel each
  PixelFormat format;
  std::uint32_t red_mask;  // only for kBitmask
  std::uint32_t green_mask;
  std::uint32_t blue_mask;
  std::uint32_t reserved_mask;
  // 32 for kRgbx8 / kBgrx8; for kBitmask 16, 24 or 32, from the highest mask bit
  // (console::pixel_layout, which the kernel uses to check it).
  std::uint32_t bits_per_pixel;
  std::uint32_t reserved;
};

struct BootInfo {
  // Header: the kernel refuses a BootInfo whose magic, version or size it does not know.
  std::uint64_t magic;
  std::uint32_t version;
  std::uint32_t size;  // sizeof(BootInfo) as the loader knew it

  // Memory map, copied by the loader right before ExitBootServices succeeded.
  std::uint64_t memory_map;  // physical address of MemoryRange[memory_map_count]
  std::uint32_t memory_map_count;
  std::uint32_t reserved0;

  // ACPI: the RSDP the loader found and checked (0 if none). The kernel checks it again.
  std::uint64_t rsdp;
  std::uint32_t rsdp_revision;  // 0 for ACPI 1.0, 2 for ACPI 2.0+
  std::uint32_t reserved1;

  Framebuffer framebuffer;

  // The kernel image: one physically contiguous block holding every PT_LOAD segment, mapped at
  // kernel_virtual_base (page aligned) with the segments' own permissions.
  std::uint64_t kernel_physical_base;
  std::uint64_t kernel_physical_size;  // bytes, page multiple
  std::uint64_t kernel_virtual_base;

  // The kernel ELF's .symtab and .strtab, copied for backtraces (0 and 0 if absent).
  std::uint64_t symtab;
  std::uint64_t symtab_size;
  std::uint64_t strtab;
  std::uint64_t strtab_size;

  // One 4 KiB page below 1 MiB for the AP trampoline. When the firmware had none free,
  // trampoline_valid is 0 and the kernel runs on the boot CPU only.
  std::uint64_t trampoline_page;
  std::uint32_t trampoline_valid;
  std::uint32_t reserved2;

  // Kernel command line: ASCII, not NUL terminated (cmdline_length bytes).
  std::uint64_t cmdline;
  std::uint32_t cmdline_length;
  std::uint32_t reserved3;

  // EFI_RUNTIME_SERVICES table (physical, identity mapped; SetVirtualAddressMap is not called).
  std::uint64_t efi_runtime_services;

  // The loader's page tables (physical address of the PML4), for the record: the kernel
  // builds its own and reclaims these with the rest of the loader's memory.
  std::uint64_t loader_pml4;

  // initramfs.cpio from beside the loader, as read (a cpio "newc" archive the kernel checks
  // entry by entry): physical address and size in bytes, in loader memory (the kernel reads it
  // before it reclaims that memory). Both 0 when there is none.
  std::uint64_t initramfs;
  std::uint64_t initramfs_size;
};

inline constexpr std::uint32_t kMaxCmdlineLength = 4096;

}  // namespace boot
