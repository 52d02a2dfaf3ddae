#include "kernel/mm/kernel_space.h"

#include "kernel/arch/x86_64/user_copy.h"

#include "kernel/console/log.h"
#include "kernel/core/panic.h"
#include "kernel/arch/x86_64/mmu/mmu.h"
#include "kernel/arch/x86_64/mmu/pat.h"
#include "kernel/mm/irq_spinlock.h"
#include "kernel/mm/mm.h"
#include "kernel/cpus/ipi/tlb_shootdown.h"

// Section bounds from kernel/linker.ld. Each segment starts on its own page.
extern "C" const char __kernel_start[], __rodata_start[], __data_start[], __kernel_end[];

namespace mm {
namespace {

using paging::PageFlags;
using paging::PageSize;

constexpr std::uint64_t kEfiMemoryWb = 1ull << 3;
constexpr std::uint64_t kEfiMemoryRuntime = 1ull << 63;
constexpr std::uint64_t k4GiB = 1ull << 32;
constexpr std::uint64_t kLowerHalfEnd = 1ull << 47;  // identity maps must stay canonical

// Page-table frames: from the frame allocator, zeroed (mm::clear_frames) and reached through the
// direct map. From the bitmap itself rather than mm::alloc_cleared_frames: this runs under the
// kernel page-table lock, which is ordered before the frame lock alone, not the frame caches'.
class KernelFrameSource final : public paging::FrameSource {
 public:
  void set(FrameAllocator* frames) { frames_ = frames; }
  // Frames handed out from now on end at or below `below` (kNoLimit: anywhere).
  void set_limit(std::uint64_t below) { below_ = below; }
  std::uint64_t alloc_table_frame() override {
    auto frame = below_ == FrameAllocator::kNoLimit ? frames_->alloc()
                                                    : frames_->alloc_contiguous(1, 0, below_);
    if (!frame) return 0;
    clear_frames(frame.value(), 1);
    return frame.value();
  }
  void* table_pointer(std::uint64_t phys) override { return phys_to_virt(phys); }
  void free_table_frame(std::uint64_t phys) override {
    auto freed = frames_->free(phys);
    if (!freed) panic("mm: page-table frame {:#x}: {}", phys, describe(freed.error()));
  }

 private:
  FrameAllocator* frames_ = nullptr;
  std::uint64_t below_ = FrameAllocator::kNoLimit;
};

struct KernelSpace {
  IrqSpinLock lock;  // serialises changes to the kernel tables; taken before the frame lock
  KernelFrameSource frames;
  paging::PageTables tables{frames, 0};
  std::uint64_t mmio_next = kMmioWindowBase;
  arch::MmuFeatures features{};
  bool ready = false;
};
KernelSpace g_space;

PageSize largest_page() { return g_space.features.page_1g ? PageSize::k1G : PageSize::k2M; }

std::uint64_t align_up(std::uint64_t v, std::uint64_t a) { return (v + a - 1) & ~(a - 1); }

void map_or_panic(const char* what, std::uint64_t virt, std::uint64_t phys, std::uint64_t size,
                  PageFlags flags, PageSize largest) {
  auto mapped = g_space.tables.map(virt, phys, size, flags, largest);
  if (!mapped) {
    panic("mm: mapping {} [{:#x}, +{:#x}) -> {:#x}: {} at {:#x}", what, virt, size, phys,
          paging::describe(mapped.error().kind), mapped.error().address);
  }
}

// Kernel image: the three PT_LOAD segments of linker.ld with their own rights, at the physical
// block the loader put the image in.
void map_kernel_image(const boot::BootInfo& info) {
  const auto start = reinterpret_cast<std::uint64_t>(__kernel_start);
  const auto rodata = reinterpret_cast<std::uint64_t>(__rodata_start);
  const auto data = reinterpret_cast<std::uint64_t>(__data_start);
  const auto end = reinterpret_cast<std::uint64_t>(__kernel_end);
  if (info.kernel_virtual_base != start || info.kernel_physical_size < end - start ||
      (info.kernel_physical_base & (boot::kPageSize - 1)) != 0) {
    panic("mm: BootInfo kernel image {:#x}+{:#x} at {:#x} does not match the link ({:#x}..{:#x})",
          info.kernel_physical_base, info.kernel_physical_size, info.kernel_virtual_base, start,
          end);
  }
  const auto phys = [&](std::uint64_t virt) { return info.kernel_physical_base + (virt - start); };
  PageFlags text = paging::kKernelCode, ro = paging::kKernelRodata, rw = paging::kKernelData;
  text.global = ro.global = rw.global = true;  // the same in every address space
  map_or_panic("kernel text", start, phys(start), rodata - start, text, PageSize::k2M);
  map_or_panic("kernel rodata", rodata, phys(rodata), data - rodata, ro, PageSize::k2M);
  map_or_panic("kernel data", data, phys(data), end - data, rw, PageSize::k2M);
}

// RAM the direct map caches: everything but the kKept class (reserved, MMIO, unusable).
bool is_ram_class(MemoryClass cls) { return cls != MemoryClass::kKept; }

// Direct map of [0, top): RAM ranges write-back, everything else (holes, reserved, MMIO, the
// 32-bit PCI hole) uncached so a device register is never cached, the framebuffer
// write-combining (uncached on a CPU without the PAT). top covers all RAM and at least 4 GiB
// (LAPIC, IOAPIC, flash and most framebuffers live just below it); devices above top are
// reached through map_mmio().
void map_direct(const NormalizedMap& map, const boot::Framebuffer& fb) {
  std::uint64_t top = k4GiB;
  for (std::size_t i = 0; i < map.count; ++i) {
    if (is_ram_class(map.ranges[i].cls) && map.ranges[i].end() > top) top = map.ranges[i].end();
  }
  std::uint64_t fb_base = 0, fb_end = 0;
  if (fb.format != boot::PixelFormat::kNone && fb.size > 0 && fb.physical_base < kMaxPhysicalAddress &&
      fb.size <= kMaxPhysicalAddress - fb.physical_base) {
    fb_base = fb.physical_base & ~(boot::kPageSize - 1);
    fb_end = align_up(fb.physical_base + fb.size, boot::kPageSize);
    if (fb_end > top) top = fb_end;
  }
  top = align_up(top, paging::kPageSize2M);
  if (top > boot::kDirectMapMaxSize) top = boot::kDirectMapMaxSize;

  PageFlags ram{.writable = true, .executable = false, .global = true};
  PageFlags uncached = ram;
  uncached.cache_disable = uncached.write_through = true;  // PAT entry 3: UC
  // PA7, which mm::arch::init_pat_this_cpu() makes WC: under the usual UC MTRR of a PCI
  // framebuffer, WT would be UC and every console line would crawl (docs/console.md).
  const PageFlags framebuffer = arch::write_combining(ram);

  // Walk [0, top) as pieces of one kind each; neighbours of the same kind are merged so the
  // paging core can use the largest pages their alignment allows.
  std::size_t next_range = 0;
  std::uint64_t at = 0;
  std::uint64_t piece_start = 0;
  PageFlags piece_flags = uncached;
  bool have_piece = false;
  while (at < top) {
    while (next_range < map.count && map.ranges[next_range].end() <= at) ++next_range;
    PageFlags flags = uncached;
    std::uint64_t until = top;
    if (fb_end > fb_base && at >= fb_base && at < fb_end) {
      flags = framebuffer;
      until = fb_end;
    } else {
      if (next_range < map.count && map.ranges[next_range].base <= at) {
        const MapRange& r = map.ranges[next_range];
        if (is_ram_class(r.cls)) flags = ram;
        until = r.end();
      } else if (next_range < map.count) {
        until = map.ranges[next_range].base;
      }
      if (fb_end > fb_base && fb_base > at && fb_base < until) until = fb_base;
    }
    if (until > top) until = top;
    if (!have_piece || !(flags == piece_flags)) {
      if (have_piece) {
        map_or_panic("direct map", boot::kDirectMapBase + piece_start, piece_start,
                     at - piece_start, piece_flags, largest_page());
      }
      piece_start = at;
      piece_flags = flags;
      have_piece = true;
    }
    at = until;
  }
  if (have_piece) {
    map_or_panic("direct map", boot::kDirectMapBase + piece_start, piece_start, top - piece_start,
                 piece_flags, largest_page());
  }
  klog::info("mm: direct map {:#x}..{:#x} ({} pages)", boot::kDirectMapBase,
             boot::kDirectMapBase + top, g_space.features.page_1g ? "1 GiB" : "2 MiB");
}

// Identity map of every EFI_MEMORY_RUNTIME region, so firmware code called through the
// physical pointers in EFI_RUNTIME_SERVICES finds its code and data where it left them.
void map_runtime(const boot::BootInfo& info) {
  const auto* entries = phys_to<const boot::MemoryRange>(info.memory_map);
  std::uint64_t regions = 0, bytes = 0;
  for (std::uint32_t i = 0; i < info.memory_map_count; ++i) {
    const boot::MemoryRange e = entries[i];
    if (!(e.attributes & kEfiMemoryRuntime)) continue;
    // Same distrust as normalize(): skip what cannot be mapped as stated, and say so.
    if (e.page_count == 0 || (e.physical_start & (boot::kPageSize - 1)) != 0 ||
        e.physical_start >= kLowerHalfEnd ||
        e.page_count > (kLowerHalfEnd - e.physical_start) / boot::kPageSize) {
      klog::warn("mm: runtime entry {} ({:#x}, {} pages) cannot be identity mapped", i,
                 e.physical_start, e.page_count);
      continue;
    }
    PageFlags flags{.writable = true, .executable = false};
    // EDK2 loads a whole runtime driver image (its .data too) as RuntimeServicesCode, so code
    // pages must stay writable: without the EFI Memory Attributes Table there is no finer map.
    if (e.type == boot::EfiMemoryType::kRuntimeServicesCode) flags.executable = true;
    // Device memory, or memory the firmware does not allow write-back on, stays uncached.
    if (!(e.attributes & kEfiMemoryWb) || e.type == boot::EfiMemoryType::kMemoryMappedIo ||
        e.type == boot::EfiMemoryType::kMemoryMappedIoPortSpace) {
      flags.cache_disable = flags.write_through = true;
    }
    const std::uint64_t size = e.page_count * boot::kPageSize;
    auto mapped = g_space.tables.map(e.physical_start, e.physical_start, size, flags, PageSize::k2M);
    if (!mapped && mapped.error().kind == paging::ErrorKind::kAlreadyMapped) {
      // Overlapping runtime entries (buggy firmware): map what is still missing page by page.
      for (std::uint64_t p = e.physical_start; p < e.physical_start + size; p += boot::kPageSize) {
        if (g_space.tables.translate(p)) continue;
        map_or_panic("runtime page", p, p, boot::kPageSize, flags, PageSize::k4K);
      }
    } else if (!mapped) {
      panic("mm: identity map of runtime region {:#x}+{:#x}: {}", e.physical_start, size,
            paging::describe(mapped.error().kind));
    }
    ++regions;
    bytes += size;
  }
  klog::info("mm: {} UEFI runtime regions identity mapped ({} KiB)", regions, bytes / 1024);
}

}  // namespace

namespace {

// EFER.NXE and CR0.WP: needed before the kernel tables (NX bits are reserved while NXE is clear)
// and harmless under the loader's tables.
void enable_nx_and_wp() {
  if (!arch::detect_features().no_execute) {
    panic("mm: CPU without NX (CPUID 0x80000001 EDX[20]): not supported");
  }
  arch::write_efer(arch::read_efer() | arch::kEferNoExecuteEnable);
  arch::write_cr0(arch::read_cr0() | arch::kCr0WriteProtect);
}

// CR4.SMEP/SMAP only once the kernel tables are loaded: they mark no page user, whereas the
// loader's tables are not ours to vouch for.
void enable_smep_smap() {
  const arch::MmuFeatures f = arch::detect_features();
  std::uint64_t cr4 = arch::read_cr4();
  if (f.smep) cr4 |= arch::kCr4Smep;
  if (f.smap) cr4 |= arch::kCr4Smap;
  arch::write_cr4(cr4);
}

// Every upper-half PML4 slot gets its table now, so that a user address space, which copies
// the kernel's upper PML4 entries once when it is created, sees every kernel mapping made later
// too (they go into tables below these entries, which never change; page_tables.h). 256
// PDPTs at most: 1 MiB.
void fill_kernel_half() {
  auto* pml4 = phys_to<std::uint64_t>(g_space.tables.pml4_phys());
  for (std::size_t i = paging::kFirstKernelPml4Slot; i < paging::kPml4Entries; ++i) {
    if ((pml4[i] & paging::pte::kPresent) != 0) continue;
    const std::uint64_t table = g_space.frames.alloc_table_frame();
    if (table == 0) panic("mm: no frame for the kernel half's PML4 slot {}", i);
    pml4[i] = table | paging::pte::kPresent | paging::pte::kWritable;
  }
}

}  // namespace

void copy_kernel_half(std::uint64_t* pml4) {
  const auto* kernel = phys_to<const std::uint64_t>(g_space.tables.pml4_phys());
  for (std::size_t i = paging::kFirstKernelPml4Slot; i < paging::kPml4Entries; ++i) {
    pml4[i] = kernel[i];
  }
}

void enable_protection_features() {
  enable_nx_and_wp();
  enable_smep_smap();
}

void build_kernel_space(const boot::BootInfo& info, const NormalizedMap& map,
                        FrameAllocator& frames) {
  g_space.features = arch::detect_features();
  enable_nx_and_wp();
  g_space.frames.set(&frames);
  // The PML4 below 4 GiB: an AP's trampoline loads CR3 while still in 32-bit mode.
  g_space.frames.set_limit(k4GiB);
  auto created = paging::PageTables::create(g_space.frames);
  g_space.frames.set_limit(FrameAllocator::kNoLimit);
  if (!created) panic("mm: no frame below 4 GiB for the kernel PML4");
  g_space.tables = created.value();
  map_kernel_image(info);
  map_direct(map, info.framebuffer);
  map_runtime(info);
  fill_kernel_half();
  arch::write_cr3(g_space.tables.pml4_phys());
  // The loader's global entries would survive a plain CR3 write.
  arch::flush_tlb_all();
  // Now that the framebuffer is mapped through PA7 (and before anything draws again).
  if (arch::init_pat_this_cpu()) {
    klog::info("mm: PAT {:#x}: PA7 write-combining", arch::kKernelPat);
  } else {
    klog::warn("mm: CPU without PAT (CPUID.1:EDX[16]): framebuffer uncached, console slow");
  }
  enable_smep_smap();
  ::arch::set_smap_enabled(g_space.features.smap);
  g_space.ready = true;
  klog::info("mm: kernel page tables at {:#x}; NX on, WP on, SMEP {}, SMAP {}",
             g_space.tables.pml4_phys(), g_space.features.smep ? "on" : "absent",
             g_space.features.smap ? "on" : "absent");
}

std::uint64_t kernel_pml4() { return g_space.ready ? g_space.tables.pml4_phys() : 0; }

klib::Result<void, paging::Error> kernel_map(std::uint64_t virt, std::uint64_t phys,
                                             std::uint64_t size, paging::PageFlags flags) {
  IrqSpinGuard guard(g_space.lock);
  // A not-present to present change needs no flush (Intel SDM vol. 3A 4.10.4.3).
  return g_space.tables.map(virt, phys, size, flags, largest_page());
}

klib::Result<void, paging::Error> kernel_unmap(std::uint64_t virt, std::uint64_t size) {
  klib::Result<void, paging::Error> result = [&] {
    IrqSpinGuard guard(g_space.lock);
    return g_space.tables.unmap(virt, size);
  }();
  // Every CPU, this one included, after the page-table lock is dropped: a CPU spinning on that
  // lock with interrupts off does not serve shootdown requests (IrqSpinLock has no spin-wait
  // hook). No local flush here first: the lock release is a preemption point, and the
  // shootdown must decide "this CPU" and "the others" in one go (issue 10). Flushed even on
  // failure: part of the range may already be gone.
  kcpus::kernel_tlb_shootdown(virt, size);
  return result;
}

klib::Result<void, paging::Error> kernel_protect(std::uint64_t virt, std::uint64_t size,
                                                 paging::PageFlags flags) {
  klib::Result<void, paging::Error> result = [&] {
    IrqSpinGuard guard(g_space.lock);
    return g_space.tables.protect(virt, size, flags);
  }();
  kcpus::kernel_tlb_shootdown(virt, size);  // see kernel_unmap
  return result;
}

klib::Result<paging::Translation, paging::Error> kernel_translate(std::uint64_t virt) {
  IrqSpinGuard guard(g_space.lock);
  return g_space.tables.translate(virt);
}

klib::Result<void*, paging::Error> map_mmio(std::uint64_t phys, std::uint64_t size) {
  if (size == 0 || phys >= kMaxPhysicalAddress || size > kMaxPhysicalAddress - phys) {
    return klib::make_error(paging::Error{paging::ErrorKind::kBadPhysical, phys});
  }
  const std::uint64_t base = phys & ~(boot::kPageSize - 1);
  const std::uint64_t bytes = align_up(phys + size, boot::kPageSize) - base;
  // 2 MiB-aligned windows for big regions (a framebuffer) so they can use large pages.
  const std::uint64_t align = bytes >= paging::kPageSize2M ? paging::kPageSize2M : boot::kPageSize;
  PageFlags flags{.writable = true, .executable = false, .global = true};
  flags.cache_disable = flags.write_through = true;  // UC: device registers
  IrqSpinGuard guard(g_space.lock);
  const std::uint64_t virt = align_up(g_space.mmio_next, align);
  if (virt + bytes > kMmioWindowBase + kMmioWindowSize || virt + bytes < virt) {
    return klib::make_error(paging::Error{paging::ErrorKind::kOutOfFrames, virt});
  }
  auto mapped = g_space.tables.map(virt, base, bytes, flags, PageSize::k2M);
  if (!mapped) return klib::make_error(mapped.error());
  g_space.mmio_next = virt + bytes;
  return reinterpret_cast<void*>(virt + (phys - base));
}

}  // namespace mm
