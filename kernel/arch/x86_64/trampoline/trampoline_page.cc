#include "kernel/arch/x86_64/trampoline/trampoline_page.h"

#include <cstddef>

#include "kernel/arch/x86_64/descriptors.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/boot/boot_info.h"

// trampoline.S: the code to copy, and the entry points of its 32- and 64-bit parts.
extern "C" const std::uint8_t ap_trampoline_start[];
extern "C" const std::uint8_t ap_trampoline_code32[];
extern "C" const std::uint8_t ap_trampoline_code64[];
extern "C" const std::uint8_t ap_trampoline_end[];

namespace arch {
namespace {

// The parameter block at TRAMPOLINE_PARAMS_OFFSET, as trampoline.S reads it.
struct __attribute__((packed)) FarPointer32 {
  std::uint32_t offset;
  std::uint16_t selector;
  std::uint16_t pad;
};
struct __attribute__((packed)) Gdtr32 {
  std::uint16_t limit;
  std::uint32_t base;
  std::uint16_t pad;
};
struct TrampolineParams {
  std::uint64_t gdt[4];
  Gdtr32 gdtr;
  FarPointer32 far32;
  FarPointer32 far64;
  std::uint32_t cr3;
  std::uint32_t use_leaf_b;
  std::uint32_t cr0;
  std::uint32_t efer_lo;
  std::uint32_t efer_hi;
  std::uint32_t slot_count;
  std::uint32_t arrivals;
  std::uint32_t unknown;
  std::uint64_t entry64;
  std::uint64_t boot_table;
};
static_assert(offsetof(TrampolineParams, gdt) == TP_GDT);
static_assert(offsetof(TrampolineParams, gdtr) == TP_GDTR);
static_assert(offsetof(TrampolineParams, far32) == TP_FAR32);
static_assert(offsetof(TrampolineParams, far64) == TP_FAR64);
static_assert(offsetof(TrampolineParams, cr3) == TP_CR3);
static_assert(offsetof(TrampolineParams, use_leaf_b) == TP_USE_LEAF_B);
static_assert(offsetof(TrampolineParams, cr0) == TP_CR0);
static_assert(offsetof(TrampolineParams, efer_lo) == TP_EFER_LO);
static_assert(offsetof(TrampolineParams, efer_hi) == TP_EFER_HI);
static_assert(offsetof(TrampolineParams, slot_count) == TP_SLOT_COUNT);
static_assert(offsetof(TrampolineParams, arrivals) == TP_ARRIVALS);
static_assert(offsetof(TrampolineParams, unknown) == TP_UNKNOWN);
static_assert(offsetof(TrampolineParams, entry64) == TP_ENTRY64);
static_assert(offsetof(TrampolineParams, boot_table) == TP_BOOT_TABLE);
static_assert(sizeof(TrampolineParams) == TP_SIZE);
static_assert(TRAMPOLINE_PARAMS_OFFSET + TP_SIZE <= TRAMPOLINE_SLOTS_OFFSET);
static_assert(TRAMPOLINE_SLOTS_OFFSET + TRAMPOLINE_SLOT_COUNT * TRAMPOLINE_SLOT_SIZE <= 4096);

struct Slot {
  std::uint32_t apic_id;
  std::uint32_t stage;
};
static_assert(sizeof(Slot) == TRAMPOLINE_SLOT_SIZE);
static_assert(offsetof(ApBootEntry, stack_top) == ABE_STACK_TOP);
static_assert(offsetof(ApBootEntry, arg) == ABE_ARG);
static_assert(sizeof(ApBootEntry) == ABE_SIZE);
static_assert(static_cast<std::uint32_t>(CpuStage::kTrampoline16) == STAGE_TRAMPOLINE16);
static_assert(static_cast<std::uint32_t>(CpuStage::kProtected32) == STAGE_PROTECTED32);
static_assert(static_cast<std::uint32_t>(CpuStage::kLong64) == STAGE_LONG64);

// Descriptors of the trampoline's GDT (SDM vol. 3A 3.4.5): flat 4 GiB 32-bit code and data for
// the protected-mode stage, and a 64-bit code segment (L=1) for the jump out of compatibility
// mode. The kernel's own GDT replaces this one in the AP's first C++ steps.
constexpr std::uint64_t kCode32 = 0x00CF9A000000FFFF;
constexpr std::uint64_t kData32 = 0x00CF92000000FFFF;
constexpr std::uint64_t kCode64 = 0x00AF9A000000FFFF;

constexpr std::uint64_t k1MiB = 1ull << 20;
constexpr std::uint64_t k4GiB = 1ull << 32;

TrampolineParams& params(std::uint8_t* page) {
  return *reinterpret_cast<TrampolineParams*>(page + TRAMPOLINE_PARAMS_OFFSET);
}
Slot* slots(std::uint8_t* page) {
  return reinterpret_cast<Slot*>(page + TRAMPOLINE_SLOTS_OFFSET);
}

}  // namespace

klib::Result<TrampolinePage, const char*> TrampolinePage::install(std::uint64_t phys,
                                                                  std::uint8_t* virt,
                                                                  std::uint64_t kernel_cr3,
                                                                  ApKernelEntry entry,
                                                                  const ControlRegisters& bsp,
                                                                  bool use_leaf_b) {
  // A SIPI vector is a page number 0x01..0xFF (page 0 holds the real-mode IVT; 0xA0..0xBF is
  // VGA memory in real machines, which the firmware never hands out as loader data).
  if (phys == 0 || (phys & 0xFFF) != 0 || phys >= k1MiB) {
    return klib::make_error("trampoline page not a page-aligned address in 4 KiB..1 MiB");
  }
  if (virt == nullptr) return klib::make_error("trampoline page has no kernel mapping");
  const std::uint64_t cr3 = kernel_cr3;
  if (cr3 == 0 || cr3 >= k4GiB) return klib::make_error("kernel PML4 not below 4 GiB");
  const auto code_size = static_cast<std::size_t>(ap_trampoline_end - ap_trampoline_start);
  if (code_size > TRAMPOLINE_PARAMS_OFFSET) return klib::make_error("trampoline code too big");

  TrampolinePage t(phys, virt);
  std::uint8_t* p = t.page();
  __builtin_memset(p, 0, boot::kPageSize);
  __builtin_memcpy(p, ap_trampoline_start, code_size);

  TrampolineParams& tp = params(p);
  const auto phys32 = static_cast<std::uint32_t>(phys);
  tp.gdt[0] = 0;
  tp.gdt[TRAMPOLINE_SEL_CODE32 / 8] = kCode32;
  tp.gdt[TRAMPOLINE_SEL_DATA32 / 8] = kData32;
  tp.gdt[TRAMPOLINE_SEL_CODE64 / 8] = kCode64;
  tp.gdtr = {sizeof(tp.gdt) - 1, phys32 + TRAMPOLINE_PARAMS_OFFSET + TP_GDT, 0};
  tp.far32 = {phys32 + static_cast<std::uint32_t>(ap_trampoline_code32 - ap_trampoline_start),
              TRAMPOLINE_SEL_CODE32, 0};
  tp.far64 = {phys32 + static_cast<std::uint32_t>(ap_trampoline_code64 - ap_trampoline_start),
              TRAMPOLINE_SEL_CODE64, 0};
  tp.cr3 = static_cast<std::uint32_t>(cr3);
  tp.use_leaf_b = use_leaf_b ? 1 : 0;
  tp.cr0 = static_cast<std::uint32_t>(bsp.cr0);
  constexpr std::uint64_t kEferLma = 1ull << 10;  // status bit: the CPU sets it with CR0.PG
  const std::uint64_t efer = bsp.efer & ~kEferLma;
  tp.efer_lo = static_cast<std::uint32_t>(efer);
  tp.efer_hi = static_cast<std::uint32_t>(efer >> 32);
  tp.entry64 = reinterpret_cast<std::uint64_t>(entry);

  return t;
}

void TrampolinePage::begin_wave(const klib::ApicId* apic_ids, std::uint32_t count,
                                const ApBootEntry* table) {
  std::uint8_t* p = page();
  Slot* s = slots(p);
  for (std::uint32_t i = 0; i < kSlotCount; ++i) {
    // Unused slots get an ID no CPU has (the x2APIC placeholder), so a stray AP parks. The
    // slot is the raw 32-bit word trampoline.S compares with the ID it reads from CPUID.
    s[i].apic_id = i < count ? klib::to_raw(apic_ids[i]) : 0xFFFFFFFF;
    __atomic_store_n(&s[i].stage, 0u, __ATOMIC_RELAXED);
  }
  TrampolineParams& tp = params(p);
  tp.boot_table = reinterpret_cast<std::uint64_t>(table);
  // Release: slots and table are visible before the count that lets APs use them. The IPIs
  // that start the APs come after this; the sender adds the fence an x2APIC ICR write needs.
  __atomic_store_n(&tp.slot_count, count, __ATOMIC_RELEASE);
}

std::uint32_t TrampolinePage::slot_stage(std::uint32_t slot) const {
  if (slot >= kSlotCount) return 0;
  return __atomic_load_n(&slots(page())[slot].stage, __ATOMIC_ACQUIRE);
}

void TrampolinePage::reset_slot_stage(std::uint32_t slot) {
  if (slot < kSlotCount) __atomic_store_n(&slots(page())[slot].stage, 0u, __ATOMIC_RELEASE);
}

std::uint32_t TrampolinePage::arrivals() const {
  return __atomic_load_n(&params(page()).arrivals, __ATOMIC_ACQUIRE);
}

std::uint32_t TrampolinePage::unknown_arrivals() const {
  return __atomic_load_n(&params(page()).unknown, __ATOMIC_ACQUIRE);
}

void TrampolinePage::wipe() { __builtin_memset(page(), 0, boot::kPageSize); }

}  // namespace arch
