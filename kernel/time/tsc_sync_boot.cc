#include "kernel/time/tsc_sync_boot.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/fault_recovery.h"
#include "kernel/console/log.h"
#include "kernel/time/clock.h"
#include "kernel/time/tsc_sync.h"

namespace ktime {
namespace {

constexpr std::uint64_t kNsPerMs = 1'000'000;
// A window ends after 100 hand-overs each way or after Linux's time limit
// (arch/x86/kernel/tsc_sync.c, loop_timeout): 2 ms for CPUs in one package (they share the
// TSC's clock), 20 ms for CPUs in different packages, where a busy emulator host may get only a
// few hand-overs. A hand-over is a cache-line transfer (~0.1-0.2 us on hardware, ~0.7 us under
// QEMU's TCG), and a TSC offset larger than that shows as a warp at every hand-over in one
// direction, so 100 find it as surely as 1000 did; smaller ones are below what any count of
// hand-overs can see. With 1000, the checks were most of the bring-up of 16 virtual CPUs
// (15 APs one after another, about 1.4 ms each on a quiet host: docs/smp.md).
constexpr std::uint64_t kEnoughHandoffs = 100;
constexpr std::uint64_t kSamePackageWindowNs = 2 * kNsPerMs;
constexpr std::uint64_t kWindowNs = 20 * kNsPerMs;
constexpr std::uint64_t kAnswerNs = 100 * kNsPerMs;
// A window iteration (lock, two TSC reads, unlock) takes tens of ns at least: 10^7 ends a window
// whose TSC does not advance within about a second. A wait's poll (a load, PAUSE, RDTSC) takes
// at least ~10 ns, so 10^8 polls outlast the 100 ms answer deadline and end a wait on a TSC
// that does not advance within seconds.
constexpr std::uint64_t kMaxLoops = 10'000'000;
constexpr std::uint64_t kMaxPolls = 100'000'000;

// IA32_TSC_ADJUST (SDM vol. 3B, "Time-Stamp Counter Adjustment"; vol. 4 MSR 3BH), present when
// CPUID.(EAX=7,ECX=0):EBX[1].
constexpr auto kTscAdjustMsr = static_cast<arch::Msr>(0x3B);
constexpr std::uint32_t kTscAdjustEbx = 1u << 1;
constexpr std::uint64_t kGeneralProtection = 13;

TscSyncMailbox g_box;

bool has_tsc_adjust() {
  return arch::cpuid(0).eax >= 7 && (arch::cpuid(7, 0).ebx & kTscAdjustEbx) != 0;
}

struct AdjustCall {
  std::int64_t delta;
};

void add_to_tsc_adjust(void* arg) {
  const std::int64_t delta = static_cast<AdjustCall*>(arg)->delta;
  const std::uint64_t now = arch::rdmsr(kTscAdjustMsr);
  arch::wrmsr(kTscAdjustMsr, now + static_cast<std::uint64_t>(delta));
}

class KernelSyncPort final : public TscSyncPort {
 public:
  std::uint64_t read_tsc_ordered() override {
    // LFENCE before RDTSC: the read happens after every earlier load, here the lock and the
    // other CPU's record (SDM vol. 2B, RDTSC; on AMD LFENCE is dispatch-serialising where the
    // firmware sets MSR C001_1029[1], which every current one does).
    asm volatile("lfence" ::: "memory");
    return arch::rdtsc();
  }
  void relax() override { arch::pause(); }
  bool adjust_tsc(std::int64_t delta) override {
    if (!has_tsc_adjust()) return false;
    // Under fault recovery: a hypervisor that lists TSC_ADJUST but refuses the MSR raises #GP.
    arch::FaultRecovery recovery{};
    recovery.expected_vector = kGeneralProtection;
    AdjustCall call{delta};
    return !arch::call_with_fault_recovery(recovery, &add_to_tsc_adjust, &call);
  }
};

// How many low APIC ID bits number the CPUs within a package (SDM vol. 3A, "Identifying
// Topology Levels": the shift of the highest level of CPUID leaf 0x1F, else of leaf 0xB; without
// either, leaf 1 EBX[23:16], the package's addressable IDs, when HTT is set; 0 without HTT).
unsigned package_shift() {
  const std::uint32_t max_leaf = arch::cpuid(0).eax;
  for (const std::uint32_t leaf : {0x1Fu, 0xBu}) {
    if (max_leaf < leaf || arch::cpuid(leaf, 0).ebx == 0) continue;
    bool found = false;
    unsigned shift = 0;
    // Subleaves end with level type 0; eight bounds a CPUID that never says so.
    for (std::uint32_t sub = 0; sub < 8; ++sub) {
      const arch::CpuidResult r = arch::cpuid(leaf, sub);
      if (((r.ecx >> 8) & 0xFF) == 0) break;
      shift = r.eax & 0x1F;
      found = true;
    }
    if (found) return shift;
  }
  const arch::CpuidResult l1 = arch::cpuid(1);
  if ((l1.edx & (1u << 28)) == 0) return 0;  // no HTT: one logical CPU per package
  const std::uint32_t ids = (l1.ebx >> 16) & 0xFF;
  unsigned shift = 0;
  while (shift < 8 && (1u << shift) < ids) ++shift;
  return shift;
}

TscSyncTiming timing(std::uint64_t window_ns = kWindowNs) {
  TscSyncTiming t;
  const std::uint64_t hz = tsc_hz();
  t.window_cycles = hz / 1000 * (window_ns / kNsPerMs);
  t.answer_cycles = hz / 1000 * (kAnswerNs / kNsPerMs);
  t.enough_handoffs = kEnoughHandoffs;
  t.max_loops = kMaxLoops;
  t.max_polls = kMaxPolls;
  return t;
}

std::uint64_t cycles_to_ns(std::uint64_t cycles) {
  const std::uint64_t hz = tsc_hz();
  // cycles / hz * 1e9 without overflow for warps up to 2^47 cycles: split whole seconds off.
  return cycles / hz * 1'000'000'000 + (cycles % hz) * 1'000'000'000 / hz;
}

const char* verdict_name(SyncVerdict v) {
  switch (v) {
    case SyncVerdict::kInSync: return "in sync";
    case SyncVerdict::kInconclusive: return "inconclusive";
    case SyncVerdict::kAdjust: return "adjusting";
    case SyncVerdict::kWarped: return "warped";
  }
  return "?";
}

}  // namespace

void check_tsc_sync(const TscSyncCpus& cpus) {
  KernelSyncPort port;
  const unsigned shift = package_shift();  // at most 31
  const std::uint32_t boot_apic = cpus.apic_id(cpus.ctx, 0);
  const bool can_adjust = has_tsc_adjust();
  const std::uint64_t start = now_ns();
  std::uint32_t checked = 0, warped = 0, corrected = 0, unknown = 0;
  std::uint64_t max_warp = 0;
  for (std::uint32_t cpu = 1; cpu < cpus.count; ++cpu) {
    if (!cpus.online(cpus.ctx, cpu)) continue;
    ++checked;
    const std::uint64_t cpu_start = now_ns();
    const std::uint32_t apic = cpus.apic_id(cpus.ctx, cpu);
    const bool same_package = (apic >> shift) == (boot_apic >> shift);
    const TscSyncTiming t = timing(same_package ? kSamePackageWindowNs : kWindowNs);
    const CpuSyncReport r =
        check_cpu_tsc(g_box, cpu, port, t, can_adjust, TscSyncWake{cpus.wake, cpus.ctx});
    if (r.first_warp > max_warp) max_warp = r.first_warp;
    klog::debug("tsc: cpu {}: max warp {} cycles ({} ns), {} after {} rounds in {} us, {} "
                "hand-overs, TSC_ADJUST change {}", cpu, r.first_warp,
                cycles_to_ns(r.first_warp), verdict_name(r.verdict), r.rounds,
                (now_ns() - cpu_start) / 1000, r.handoffs, r.adjusted);
    if (!r.answered) {
      ++unknown;
      klog::warn("tsc: cpu {}: did not take part in the TSC check within {} ms", cpu,
                 kAnswerNs / kNsPerMs);
      continue;
    }
    if (r.first_warp != 0) {
      klog::warn("tsc: cpu {}: TSC disagrees with the boot CPU's by at least {} cycles ({} ns)",
                 cpu, r.first_warp, cycles_to_ns(r.first_warp));
    }
    switch (r.verdict) {
      case SyncVerdict::kInSync:
        if (r.adjusted != 0) {
          ++corrected;
          klog::warn("tsc: cpu {}: corrected through IA32_TSC_ADJUST by {} cycles; in sync",
                     cpu, r.adjusted);
        }
        break;
      case SyncVerdict::kInconclusive:
        ++unknown;
        klog::warn("tsc: cpu {}: TSC check inconclusive (the CPUs never took turns within {} "
                   "ms)", cpu, kAnswerNs / kNsPerMs);
        break;
      case SyncVerdict::kAdjust:  // check_cpu_tsc never ends on it
      case SyncVerdict::kWarped:
        ++warped;
        klog::warn("tsc: cpu {}: TSC still {} cycles off after {} ({} cycles through "
                   "TSC_ADJUST)", cpu, r.last_warp,
                   can_adjust ? "correction" : "no correction (no IA32_TSC_ADJUST)", r.adjusted);
        break;
    }
  }
  const std::uint64_t ms = (now_ns() - start) / kNsPerMs;
  if (warped != 0 || unknown != 0) {
    set_tsc_unsynchronized();
    klog::warn("tsc: TSCs not shown synchronised across CPUs ({} warped, {} unchecked): "
               "now_ns() is kept monotonic across CPUs by a global clamp", warped, unknown);
  }
  klog::info("tsc: sync check: {} CPUs in {} ms, max warp {} cycles, {} corrected, {}", checked,
             ms, max_warp, corrected,
             warped != 0 || unknown != 0 ? "clamped clock" : "synchronised");
}

bool serve_tsc_sync(std::uint32_t cpu) {
  KernelSyncPort port;
  // The longest window; serve_target_round shortens it to the round's (the checker's).
  return serve_target_round(g_box, cpu, port, timing());
}

}  // namespace ktime
