#include "kernel/arch/x86_64/fpu.h"

#include "kernel/arch/x86_64/cpu.h"
#include "sched/arch/x86_64/xsave.h"

namespace arch::fpu {
namespace {

constexpr std::uint64_t kCr0Mp = 1u << 1;
constexpr std::uint64_t kCr0Em = 1u << 2;
constexpr std::uint64_t kCr0Ts = 1u << 3;
constexpr std::uint64_t kCr0Ne = 1u << 5;
constexpr std::uint64_t kCr4Osfxsr = 1u << 9;
constexpr std::uint64_t kCr4Osxmmexcpt = 1u << 10;
constexpr std::uint64_t kCr4Osxsave = 1u << 18;

// CPUID.1:EDX
constexpr std::uint32_t kEdxFpu = 1u << 0;
constexpr std::uint32_t kEdxFxsr = 1u << 24;
constexpr std::uint32_t kEdxSse = 1u << 25;
// CPUID.1:ECX
constexpr std::uint32_t kEcxXsave = 1u << 26;
constexpr std::uint32_t kEcxAvx = 1u << 28;

FpuInfo g_info;
bool g_boot_done = false;

std::uint64_t read_cr0() {
  std::uint64_t v;
  asm volatile("mov %%cr0, %0" : "=r"(v));
  return v;
}
void write_cr0(std::uint64_t v) { asm volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
std::uint64_t read_cr4() {
  std::uint64_t v;
  asm volatile("mov %%cr4, %0" : "=r"(v));
  return v;
}
void write_cr4(std::uint64_t v) { asm volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }

void write_xcr0(std::uint64_t v) {
  asm volatile("xsetbv"
               :
               : "c"(0u), "a"(static_cast<std::uint32_t>(v)),
                 "d"(static_cast<std::uint32_t>(v >> 32))
               : "memory");
}

// What this CPU can do: the mode and XCR0 it would pick on its own.
FpuInfo probe() {
  FpuInfo p;
  const CpuidResult l1 = cpuid(1);
  const std::uint32_t need = kEdxFpu | kEdxFxsr | kEdxSse;
  if ((l1.edx & need) != need) return p;
  p.mode = SaveMode::kFxsave;
  p.area_size = 512;
  if ((l1.ecx & kEcxXsave) == 0) return p;
  // CPUID.(0DH,0):EDX:EAX are the XCR0 bits the CPU supports; x87 and SSE always are.
  const CpuidResult d = cpuid(0xD, 0);
  const std::uint64_t supported = (static_cast<std::uint64_t>(d.edx) << 32) | d.eax;
  std::uint64_t want = kXcr0X87 | kXcr0Sse;
  if ((l1.ecx & kEcxAvx) != 0 && (supported & kXcr0Avx) != 0) want |= kXcr0Avx;
  if ((supported & want) != want) return p;  // inconsistent CPUID: stay with FXSAVE
  p.mode = SaveMode::kXsave;
  p.xcr0 = want;
  return p;
}

}  // namespace

std::uint64_t read_xcr0() {
  if ((read_cr4() & kCr4Osxsave) == 0) return 0;
  std::uint32_t lo, hi;
  asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0u));
  return (static_cast<std::uint64_t>(hi) << 32) | lo;
}

bool init_this_cpu() {
  const FpuInfo mine = probe();
  if (g_boot_done) {
    // An AP must match: threads migrate between CPUs with one area layout.
    if (mine.mode == SaveMode::kNone && g_info.mode != SaveMode::kNone) return false;
    if (g_info.mode == SaveMode::kXsave &&
        (mine.mode != SaveMode::kXsave || (mine.xcr0 & g_info.xcr0) != g_info.xcr0)) {
      return false;
    }
  }
  const FpuInfo& use = g_boot_done ? g_info : mine;
  if (use.mode == SaveMode::kNone) {
    if (!g_boot_done) {
      g_info = mine;
      g_boot_done = true;
    }
    return true;
  }
  write_cr0((read_cr0() | kCr0Mp | kCr0Ne) & ~(kCr0Em | kCr0Ts));
  std::uint64_t cr4 = read_cr4() | kCr4Osfxsr | kCr4Osxmmexcpt;
  if (use.mode == SaveMode::kXsave) cr4 |= kCr4Osxsave;
  write_cr4(cr4);
  if (use.mode == SaveMode::kXsave) write_xcr0(use.xcr0);
  // A clean x87 state on this CPU (firmware may have left exceptions pending).
  asm volatile("fninit" : : : "memory");
  if (!g_boot_done) {
    g_info = mine;
    if (mine.mode == SaveMode::kXsave) {
      // CPUID.(0DH,0):EBX: the area size for the components now enabled in XCR0.
      g_info.area_size = cpuid(0xD, 0).ebx;
    }
    g_boot_done = true;
  }
  sched::arch::set_save_mode(use.mode == SaveMode::kXsave ? sched::arch::SaveMode::kXsave
                                                          : sched::arch::SaveMode::kFxsave);
  return true;
}

const FpuInfo& info() { return g_info; }

}  // namespace arch::fpu
