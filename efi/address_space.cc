// Step 4: the page tables the kernel starts on, built with the shared core in kernel/arch/x86_64/mmu.
#include "efi/console.h"
#include "efi/loader.h"
#include "kernel/arch/x86_64/mmu/page_tables.h"

namespace loader {
namespace {

constexpr std::uint64_t kMinDirectMap = 4ull << 30;  // MMIO (LAPIC, IOAPIC, HPET) sits below 4 GiB

// Table frames from the firmware; boot services identity-map all memory, so a frame's physical
// address is where the loader reads and writes it.
class EfiFrameSource final : public paging::FrameSource {
 public:
  std::uint64_t alloc_table_frame() override {
    EFI_PHYSICAL_ADDRESS address = 0;
    if (EFI_ERROR(BS->AllocatePages(AllocateAnyPages, EfiLoaderData, 1, &address))) return 0;
    __builtin_memset(reinterpret_cast<void*>(address), 0, boot::kPageSize);
    return address;
  }
  void* table_pointer(std::uint64_t phys) override { return reinterpret_cast<void*>(phys); }
  void free_table_frame(std::uint64_t phys) override { BS->FreePages(phys, 1); }
};

bool cpu_has_1g_pages() {
  std::uint32_t eax, ebx, ecx, edx;
  asm volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(0x80000000), "c"(0));
  if (eax < 0x80000001) return false;
  asm volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(0x80000001), "c"(0));
  return (edx & (1u << 26)) != 0;  // CPUID.80000001H:EDX.Page1GB
}

Status<klib::Ok> report(const char* what, const paging::Error& error) {
  log("page tables: {}: {} at {:#x}", what, paging::describe(error.kind), error.address);
  return klib::make_error(EFI_OUT_OF_RESOURCES);
}

}  // namespace

Status<std::uint64_t> build_address_space(const elf::KernelLayout& layout,
                                          const boot::BootInfo& info, std::uint64_t memory_top) {
  static EfiFrameSource frames;  // outlives the call: the tables only hold addresses, not it
  auto created = paging::PageTables::create(frames);
  if (!created.ok()) {
    TRY_OK(report("PML4", created.error()));
  }
  paging::PageTables& tables = created.value();

  for (std::size_t i = 0; i < layout.segment_count; ++i) {
    const elf::LoadSegment& s = layout.segments[i];
    const std::uint64_t first = s.virtual_address & ~(boot::kPageSize - 1);
    const std::uint64_t end = (s.virtual_address + s.memory_size + boot::kPageSize - 1) &
                              ~(boot::kPageSize - 1);
    const paging::PageFlags flags{.writable = s.writable, .executable = s.executable,
                                  .global = true};
    auto mapped = tables.map(first, info.kernel_physical_base + (first - layout.virtual_first),
                             end - first, flags, paging::PageSize::k2M);
    if (!mapped.ok()) TRY_OK(report("kernel segment", mapped.error()));
  }

  // All physical memory, rounded up to whole gigabytes so large pages fit.
  std::uint64_t size = memory_top > kMinDirectMap ? memory_top : kMinDirectMap;
  size = (size + paging::kPageSize1G - 1) & ~(paging::kPageSize1G - 1);
  if (size > boot::kDirectMapMaxSize) size = boot::kDirectMapMaxSize;
  const paging::PageSize largest = cpu_has_1g_pages() ? paging::PageSize::k1G
                                                      : paging::PageSize::k2M;
  auto direct = tables.map(boot::kDirectMapBase, 0, size, paging::kKernelData, largest);
  if (!direct.ok()) TRY_OK(report("direct map", direct.error()));
  // The identity map keeps the loader's code, stack and BootInfo reachable across the CR3 load
  // and the jump; the kernel drops it once it runs on its own tables.
  auto identity = tables.map(0, 0, size, paging::PageFlags{.writable = true, .executable = true},
                             largest);
  if (!identity.ok()) TRY_OK(report("identity map", identity.error()));

  log("page tables at {:#x}: direct map and identity map of {} MiB with {} pages", tables.pml4_phys(),
      size >> 20, largest == paging::PageSize::k1G ? "1 GiB" : "2 MiB");
  return tables.pml4_phys();
}

}  // namespace loader
