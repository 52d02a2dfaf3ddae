// The AP trampoline page: installs trampoline.S's code and its parameter block into the page the
// loader reserved below 1 MiB (BootInfo.trampoline_page), identity-maps it for the switch to long
// mode, exposes the per-AP slots (APIC ID in, stage out) and wipes and unmaps it afterwards.
// Layout: trampoline_layout.h; protocol: docs/smp.md.
#pragma once

#include <cstdint>

#include "kernel/arch/x86_64/boot_cpu.h"
#include "kernel/arch/x86_64/trampoline/trampoline_layout.h"
#include "smp/klib/ids.h"
#include "smp/klib/result.h"

namespace arch {

// One AP's entry in the boot table (kernel memory): what the 64-bit stage loads before it jumps
// to the kernel entry. Indexed like the slots of the current wave.
struct ApBootEntry {
  std::uint64_t stack_top;
  void* arg;  // passed in rdi to the kernel entry
};

// The kernel entry the trampoline jumps to: rsp = stack_top with a zero return address pushed,
// rdi = ApBootEntry::arg, interrupts off, kernel CR3, CR4 = PAE only, trampoline GDT.
using ApKernelEntry = void (*)(void* arg);

class TrampolinePage {
 public:
  static constexpr std::uint32_t kSlotCount = TRAMPOLINE_SLOT_COUNT;

  // Copies the code into the page at `phys` (reached through `virt`, its kernel mapping) and
  // fills the parameter block (GDT, far pointers, `kernel_cr3`, `bsp` CR0/EFER, `entry`).
  // `use_leaf_b`: APs identify themselves by CPUID 0xB (x2APIC ID) instead of CPUID 1. The
  // caller then maps the page at virt = phys, writable and executable (long mode needs the
  // instruction after CR0.PG at the same address), and removes that mapping after wipe().
  // Errors (nothing written then): page not usable, CR3 above 4 GiB, code too big.
  static klib::Result<TrampolinePage, const char*> install(std::uint64_t phys, std::uint8_t* virt,
                                                           std::uint64_t kernel_cr3,
                                                           ApKernelEntry entry,
                                                           const ControlRegisters& bsp,
                                                           bool use_leaf_b);

  // The STARTUP IPI's vector: the page number.
  std::uint8_t startup_page() const { return static_cast<std::uint8_t>(phys_ >> 12); }

  // A new wave: slot i gets apic_ids[i] and stage 0, the boot table is `table` (count entries).
  // Needs count <= kSlotCount; no AP of an earlier wave may still be in the trampoline.
  void begin_wave(const klib::ApicId* apic_ids, std::uint32_t count, const ApBootEntry* table);

  // Stage an AP of this wave wrote into slot `slot` (0 = none yet); reset to 0 for a retry.
  std::uint32_t slot_stage(std::uint32_t slot) const;
  void reset_slot_stage(std::uint32_t slot);

  // APs that ran the 16-bit entry, and those that found no slot (diagnostics).
  std::uint32_t arrivals() const;
  std::uint32_t unknown_arrivals() const;

  // Zeroes the whole page (code, parameters, slots). After it (and the caller's unmap), a
  // stray STARTUP IPI to this page runs zeros (00 00 = add [bx+si], al ... into nowhere) rather
  // than stale start-up code with a live kernel CR3.
  void wipe();

 private:
  TrampolinePage(std::uint64_t phys, std::uint8_t* virt) : phys_(phys), virt_(virt) {}
  std::uint8_t* page() const { return virt_; }

  std::uint64_t phys_ = 0;
  std::uint8_t* virt_ = nullptr;
};

}  // namespace arch
