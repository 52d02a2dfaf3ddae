#include "kernel/vdso/vdso.h"

#include "kernel/abi/errno.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/console/log.h"
#include "kernel/cpus/ipi/call_function.h"
#include "kernel/mm/mm.h"
#include "kernel/random/random.h"
#include "kernel/time/clock.h"
#include "kernel/time/rtc.h"
#include "kernel/vdso/vdso_image.h"
#include "kernel/vdso/vvar.h"
#include "kernel/vdso/vvar_writer.h"
#include "kernel/vm/address_space.h"

extern "C" const std::uint8_t pleiades_vdso_image_start[];
extern "C" const std::uint8_t pleiades_vdso_image_end[];

namespace kvdso {
namespace {

constexpr std::uint64_t kPageSize = kvm::kPageSize;
// The image's pages at most (it is about one page: vdso.c's five functions and their tables).
constexpr std::uint64_t kMaxImagePages = 4;
// CPUID feature bits (Intel SDM vol. 2A, CPUID): RDTSCP in 8000_0001h:EDX[27], RDPID in
// 07h.0:ECX[22].
constexpr std::uint32_t kCpuidExtFeatures = 0x80000001, kRdtscpEdx = 1u << 27;
constexpr std::uint32_t kCpuidStructuredFeatures = 7, kRdpidEcx = 1u << 22;
// IA32_TSC_AUX (Intel SDM vol. 4): what RDTSCP puts in ECX and RDPID returns.
constexpr std::uint32_t kMsrTscAux = 0xC0000103;

std::uint64_t g_vdso_frames[kMaxImagePages];
std::uint64_t g_vvar_frame[1];
kvm::SpecialPages g_vdso_pages;
kvm::SpecialPages g_vvar_pages;
pleiades_vvar* g_vvar = nullptr;  // the vvar frame through the direct map
bool g_available = false;
bool g_user_clock = true;  // vdso_clock (kernel command line)

std::uint32_t getcpu_mode() {
  const bool rdpid = arch::cpuid(0).eax >= kCpuidStructuredFeatures &&
                     (arch::cpuid(kCpuidStructuredFeatures).ecx & kRdpidEcx) != 0;
  if (rdpid) return PLEIADES_VGETCPU_RDPID;
  const bool rdtscp = arch::cpuid(0x80000000).eax >= kCpuidExtFeatures &&
                      (arch::cpuid(kCpuidExtFeatures).edx & kRdtscpEdx) != 0;
  return rdtscp ? PLEIADES_VGETCPU_RDTSCP : PLEIADES_VGETCPU_NONE;
}

// Every online CPU's IA32_TSC_AUX = node << 12 | cpu (Linux's encoding; node 0, as getcpu's
// system call answers until NUMA placement is used). False when a CPU did not answer.
bool set_tsc_aux_everywhere() {
  return kcpus::call_on_cpus(
      kcpus::online_cpus(),
      [](const smp::CallArgs&) {
        arch::wrmsr(static_cast<arch::Msr>(kMsrTscAux), arch::current_cpu_index());
      },
      smp::CallArgs{}, smp::CallMode::kSync);
}

const char* clock_mode_name(std::uint32_t mode) {
  if (mode == PLEIADES_VCLOCK_TSC) return "TSC in user space";
  return g_user_clock ? "system call (TSCs not synchronised)" : "system call (vdso_clock=off)";
}

const char* getcpu_mode_name(std::uint32_t mode) {
  switch (mode) {
    case PLEIADES_VGETCPU_RDPID: return "RDPID";
    case PLEIADES_VGETCPU_RDTSCP: return "RDTSCP";
    default: return "system call (no RDPID or RDTSCP)";
  }
}

}  // namespace

void publish_clock() {
  if (g_vvar == nullptr) return;
  const ktime::TscConversion conversion = ktime::tsc_conversion();
  ClockParams p;
  // The TSC in user space gives exactly now_ns() only while now_ns() is that plain conversion:
  // once the TSCs are found to disagree, now_ns() clamps through a kernel variable, and every
  // call goes to the kernel.
  p.mode = g_user_clock && ktime::tsc_synchronized() ? PLEIADES_VCLOCK_TSC : PLEIADES_VCLOCK_NONE;
  p.mult = conversion.mult;
  p.shift = conversion.shift;
  p.realtime_offset_ns = ktime::realtime_offset_ns();
  publish_clock(*g_vvar, p);
}

void init(bool user_clock) {
  g_user_clock = user_clock;
  const auto size = static_cast<std::size_t>(pleiades_vdso_image_end - pleiades_vdso_image_start);
  auto checked = check_image(pleiades_vdso_image_start, size);
  if (!checked) {
    klog::error("vdso: the built-in image ({} bytes) is unusable: {} ({}); programs run without "
                "a vDSO (every clock call is a system call)",
                size, describe(checked.error().kind), checked.error().value);
    return;
  }
  const ImageInfo info = checked.value();
  if (info.pages > kMaxImagePages) {
    klog::error("vdso: the built-in image has {} pages, above the {} this kernel maps; programs "
                "run without a vDSO", info.pages, kMaxImagePages);
    return;
  }
  auto frames = mm::alloc_cleared_frames(info.pages + 1);
  if (!frames) {
    klog::error("vdso: no memory for its {} pages; programs run without a vDSO", info.pages + 1);
    return;
  }
  // The vvar page first, zeroed (seq 0, clock_mode NONE), then the image, its tail zeroed.
  std::uint8_t* bytes = mm::phys_to<std::uint8_t>(frames.value());
  __builtin_memcpy(bytes + kPageSize, pleiades_vdso_image_start, size);
  g_vvar_frame[0] = frames.value();
  for (std::uint64_t i = 0; i < info.pages; ++i) {
    g_vdso_frames[i] = frames.value() + (i + 1) * kPageSize;
  }
  g_vvar_pages = kvm::SpecialPages{"[vvar]", g_vvar_frame, 1};
  g_vdso_pages = kvm::SpecialPages{"[vdso]", g_vdso_frames, info.pages};
  g_vvar = reinterpret_cast<pleiades_vvar*>(bytes);

  std::uint32_t cpu_mode = getcpu_mode();
  if (cpu_mode != PLEIADES_VGETCPU_NONE && !set_tsc_aux_everywhere()) {
    klog::warn("vdso: IA32_TSC_AUX not set on every CPU; getcpu makes the system call");
    cpu_mode = PLEIADES_VGETCPU_NONE;
  }
  g_vvar->getcpu_mode = cpu_mode;  // before any process exists: no reader yet
  publish_clock();
  g_available = true;
  klog::info("vdso: {} page(s) + vvar; clock: {}; getcpu: {}", info.pages,
             clock_mode_name(g_vvar->clock_mode), getcpu_mode_name(cpu_mode));
}

bool available() { return g_available; }

klib::Result<std::uint64_t, int> map_into(kvm::AddressSpace& space) {
  if (!g_available) return std::uint64_t{0};
  const std::uint64_t pages = g_vvar_pages.count + g_vdso_pages.count;
  constexpr std::uint64_t kRoom = (kvm::kUserEnd - kvm::kStackTop) / kPageSize;
  static_assert(kRoom >= 1 + kMaxImagePages, "no room above the stack for [vvar] and [vdso]");
  std::uint64_t random;
  krandom::fill(&random, sizeof(random));
  const std::uint64_t vvar = kvm::kStackTop + random % (kRoom - pages + 1) * kPageSize;
  const std::uint64_t vdso = vvar + g_vvar_pages.count * kPageSize;
  // The vvar page: read-only for good (Linux's has neither VM_MAYWRITE nor VM_MAYEXEC).
  if (const int e = space.map_special(vvar, g_vvar_pages, kvm::kProtRead,
                                      kvm::kVmaNoWrite | kvm::kVmaNoExec);
      e != 0) {
    return klib::make_error(e);
  }
  if (const int e = space.map_special(vdso, g_vdso_pages, kvm::kProtRead | kvm::kProtExec, 0);
      e != 0) {
    return klib::make_error(e);
  }
  return vdso;
}

}  // namespace kvdso
