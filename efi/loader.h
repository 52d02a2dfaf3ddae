// The loader's steps, one file each, in the order efi_main runs them (docs/boot-flow.md).
// Every step prints its own failure on the console and returns the firmware status to give up
// with; warnings that let the boot go on are printed and not returned.
#pragma once

#include <cstddef>
#include <cstdint>

#include "efi/elf/validate.h"
#include "efi/uefi.h"
#include "kernel/boot/boot_info.h"
#include "smp/klib/result.h"

namespace loader {

template <typename T>
using Status = klib::Result<T, EFI_STATUS>;

// Firmware pages of type EfiLoaderData (the kernel reclaims them after copying what it needs).
// Yields the physical address; prints the failure.
Status<std::uint64_t> allocate_pages(std::uint64_t count, const char* what);

// rsdp.cc: the checked RSDP from the configuration table (ACPI 2.0 preferred); 0 with a warning.
void find_rsdp(EFI_SYSTEM_TABLE* system_table, boot::BootInfo& info);

// file.cc: reads a file from the loader's own directory into pool memory.
struct FileData {
  std::uint8_t* data;
  std::size_t size;
};
// kNotFound is returned without a message so optional files can be probed.
Status<FileData> read_file_beside_loader(EFI_HANDLE image, const char16_t* name);
void free_file(FileData file);

// kernel_image.cc: copies the validated segments into one contiguous block and the symbols into
// their own pages; fills the kernel_* and symtab/strtab fields.
Status<klib::Ok> load_kernel(const FileData& file, const elf::KernelLayout& layout,
                             boot::BootInfo& info);

// address_space.cc: page tables for the kernel segments, the direct map and the identity map.
// `memory_top` is one past the highest address in the firmware memory map.
Status<std::uint64_t> build_address_space(const elf::KernelLayout& layout,
                                          const boot::BootInfo& info, std::uint64_t memory_top);

// framebuffer.cc: the GOP framebuffer in its current mode, or PixelFormat::kNone.
void find_framebuffer(boot::BootInfo& info);

// trampoline.cc: one page below 1 MiB for the AP trampoline, or trampoline_valid = 0.
void reserve_trampoline_page(boot::BootInfo& info);

// initramfs.cc: initramfs.cpio beside the loader into loader memory (info.initramfs and
// initramfs_size), or both 0 with a message when there is none or it cannot be read.
void load_initramfs(EFI_HANDLE image, boot::BootInfo& info);

// cmdline.cc: LoadOptions text, else cmdline.txt beside the loader, else empty.
Status<klib::Ok> read_cmdline(EFI_HANDLE image, boot::BootInfo& info);

// memory_map.cc: the highest address of the current map (for the direct map's size).
Status<std::uint64_t> memory_top();
// memory_map.cc: exits boot services and fills info.memory_map. After success nothing may call
// the firmware (no console either).
Status<klib::Ok> exit_boot_services(EFI_HANDLE image, boot::BootInfo& info);

// handoff.cc: fails, with a message, when the firmware runs with 5-level paging (CR4.LA57):
// the loader builds 4-level tables, and loading them under LA57 would reset the machine.
Status<klib::Ok> check_paging_mode();

// handoff.cc: enables NX and WP, loads `pml4` and jumps to `entry` with rdi = `boot_info`.
[[noreturn]] void enter_kernel(std::uint64_t pml4, std::uint64_t entry, std::uint64_t boot_info);

}  // namespace loader
