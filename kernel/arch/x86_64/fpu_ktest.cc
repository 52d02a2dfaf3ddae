// In-kernel tests of the FPU set-up (kernel/arch/x86_64/fpu.h): every online CPU has the unit
// enabled the same way (CR0, CR4, XCR0), an area of the advertised size holds a save, and
// threads created with `uses_fpu` keep their own SSE registers and MXCSR across switches with
// each other on one CPU and across migrations.
#include <atomic>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/fpu.h"
#include "kernel/threads/kernel_scheduler.h"
#include "kernel/threads/kthread.h"
#include "kernel/threads/sleep_queue.h"
#include "kernel/cpus/cpus.h"
#include "kernel/cpus/run_on_cpu.h"
#include "kernel/ktest/interrupts_on.h"
#include "kernel/ktest/ktest.h"
#include "kernel/time/clock.h"
#include "sched/arch/x86_64/xsave.h"
#include "sched/config.h"

namespace {

constexpr std::uint64_t kCallTimeoutNs = 500'000'000;
constexpr std::uint32_t kMaxTested = 256;

struct CpuFpuState {
  std::uint64_t cr0;
  std::uint64_t cr4;
  std::uint64_t xcr0;
  bool ran;
};
CpuFpuState g_state[kMaxTested];

void record_state(void* arg) {
  auto* out = static_cast<CpuFpuState*>(arg);
  asm volatile("mov %%cr0, %0" : "=r"(out->cr0));
  asm volatile("mov %%cr4, %0" : "=r"(out->cr4));
  out->xcr0 = arch::fpu::read_xcr0();
  out->ran = true;
}

alignas(64) unsigned char g_area[4096];

// ---- Threads that use the FPU ---------------------------------------------------------------

constexpr std::uint32_t kFpuRounds = 200;
constexpr std::uint64_t kMs = 1'000'000;

struct FpuWorker {
  std::uint64_t seed = 0;
  std::uint32_t mxcsr = 0;  // each worker runs with its own rounding mode
  // 0 or 1: a member of the pinned pair that takes turns; 2: sleeps between load and check
  // (and goes wherever it is placed when it wakes).
  std::uint32_t role = 0;
  std::atomic<std::uint32_t> rounds{0};
  std::atomic<std::uint32_t> mismatches{0};
  std::atomic<bool> timed_out{false};
  std::atomic<std::uint32_t> cpus_seen{0};  // bit per CPU (CPUs 0..31)
};
std::atomic<bool> g_fpu_go{false};       // all workers exist: start together
std::atomic<std::uint32_t> g_fpu_turn{0};  // the pair's turns: even = worker 0, odd = worker 1

// Loads xmm0..xmm15 from `in` and MXCSR from `mxcsr`. The kernel is built general-registers-only,
// so nothing between this and store_vector_state() touches these registers but another FPU
// thread (switched in by the scheduler, which must save and restore ours).
void load_vector_state(const std::uint64_t (&in)[32], const std::uint32_t& mxcsr) {
  asm volatile(
      "movdqu 0(%0), %%xmm0\n\tmovdqu 16(%0), %%xmm1\n\tmovdqu 32(%0), %%xmm2\n\t"
      "movdqu 48(%0), %%xmm3\n\tmovdqu 64(%0), %%xmm4\n\tmovdqu 80(%0), %%xmm5\n\t"
      "movdqu 96(%0), %%xmm6\n\tmovdqu 112(%0), %%xmm7\n\tmovdqu 128(%0), %%xmm8\n\t"
      "movdqu 144(%0), %%xmm9\n\tmovdqu 160(%0), %%xmm10\n\tmovdqu 176(%0), %%xmm11\n\t"
      "movdqu 192(%0), %%xmm12\n\tmovdqu 208(%0), %%xmm13\n\tmovdqu 224(%0), %%xmm14\n\t"
      "movdqu 240(%0), %%xmm15\n\tldmxcsr %1"
      :
      : "r"(in), "m"(mxcsr)
      : "memory");
}

void store_vector_state(std::uint64_t (&out)[32], std::uint32_t& mxcsr) {
  asm volatile(
      "movdqu %%xmm0, 0(%0)\n\tmovdqu %%xmm1, 16(%0)\n\tmovdqu %%xmm2, 32(%0)\n\t"
      "movdqu %%xmm3, 48(%0)\n\tmovdqu %%xmm4, 64(%0)\n\tmovdqu %%xmm5, 80(%0)\n\t"
      "movdqu %%xmm6, 96(%0)\n\tmovdqu %%xmm7, 112(%0)\n\tmovdqu %%xmm8, 128(%0)\n\t"
      "movdqu %%xmm9, 144(%0)\n\tmovdqu %%xmm10, 160(%0)\n\tmovdqu %%xmm11, 176(%0)\n\t"
      "movdqu %%xmm12, 192(%0)\n\tmovdqu %%xmm13, 208(%0)\n\tmovdqu %%xmm14, 224(%0)\n\t"
      "movdqu %%xmm15, 240(%0)\n\tstmxcsr %1"
      :
      : "r"(out), "m"(mxcsr)
      : "memory");
}

void pattern(const FpuWorker& w, std::uint32_t round, std::uint64_t (&out)[32]) {
  for (std::uint32_t i = 0; i < 32; ++i) out[i] = w.seed * 0x9E3779B97F4A7C15ull + round * 64 + i;
}

// Compares the live registers with what round `round` loaded.
void check(FpuWorker& w, std::uint32_t round) {
  std::uint64_t expected[32], out[32];
  pattern(w, round, expected);
  std::uint32_t mxcsr_out = 0;
  store_vector_state(out, mxcsr_out);
  bool same = mxcsr_out == w.mxcsr;
  for (std::uint32_t i = 0; i < 32; ++i) same = same && out[i] == expected[i];
  if (!same) w.mismatches.fetch_add(1, std::memory_order_relaxed);
  const std::uint32_t cpu = arch::current_cpu_index();
  if (cpu < 32) w.cpus_seen.fetch_or(1u << cpu, std::memory_order_relaxed);
  w.rounds.fetch_add(1, std::memory_order_relaxed);
}

void load(const FpuWorker& w, std::uint32_t round) {
  std::uint64_t in[32];
  pattern(w, round, in);
  load_vector_state(in, w.mxcsr);
}

// Yields until it is `w`'s turn; false after 10 s.
bool wait_turn(FpuWorker& w, std::uint64_t deadline) {
  while (g_fpu_turn.load(std::memory_order_acquire) % 2 != w.role) {
    if (ktime::now_ns() > deadline) {
      w.timed_out.store(true);
      return false;
    }
    kthreads::scheduler().yield();
  }
  return true;
}

void fpu_body(void* arg) {
  auto& w = *static_cast<FpuWorker*>(arg);
  const std::uint64_t deadline = ktime::now_ns() + 10'000 * kMs;
  while (!g_fpu_go.load(std::memory_order_acquire)) {
    if (ktime::now_ns() > deadline) {
      w.timed_out.store(true);
      return;
    }
    kthreads::sleep_for(kMs);
  }
  if (w.role == 2) {
    for (std::uint32_t r = 0; r < kFpuRounds / 4; ++r) {
      load(w, r);
      kthreads::sleep_for(kMs);
      check(w, r);
    }
  } else {
    // Strict turns: between loading round r and checking it, the partner has loaded its own
    // pattern on this CPU (same affinity), so our registers survive only if they were saved.
    for (std::uint32_t r = 0; r <= kFpuRounds; ++r) {
      if (!wait_turn(w, deadline)) return;
      if (r > 0) check(w, r - 1);
      if (r < kFpuRounds) load(w, r);
      g_fpu_turn.fetch_add(1, std::memory_order_release);
    }
  }
  // Leave the CPU with the default MXCSR (the next FPU thread restores its own anyway).
  const std::uint32_t fresh = 0x1F80;
  asm volatile("ldmxcsr %0" : : "m"(fresh));
}

}  // namespace

KTEST(fpu_enabled_alike_on_every_cpu) {
  const arch::fpu::FpuInfo& info = arch::fpu::info();
  // Every x86-64 CPU has x87, FXSR and SSE: the boot CPU must have picked a save mode.
  KCHECK(info.mode != arch::fpu::SaveMode::kNone);
  const std::uint32_t n = platform::cpu_count() < kMaxTested ? platform::cpu_count() : kMaxTested;
  for (std::uint32_t i = 0; i < n; ++i) {
    g_state[i] = {};
    if (!kcpus::cpu_online(platform::CpuNumber{i})) continue;
    KCHECK(kcpus::run_on_cpu(platform::CpuNumber{i}, record_state, &g_state[i], kCallTimeoutNs));
    KCHECK(g_state[i].ran);
    KCHECK_EQ(g_state[i].cr0 & (1u << 2), 0u);     // EM clear: no emulation
    KCHECK_EQ(g_state[i].cr0 & (1u << 3), 0u);     // TS clear: no lazy #NM
    KCHECK_EQ(g_state[i].cr4 & (1u << 9), 1u << 9);  // OSFXSR
    const bool xsave = info.mode == arch::fpu::SaveMode::kXsave;
    KCHECK_EQ((g_state[i].cr4 >> 18) & 1, xsave ? 1u : 0u);  // OSXSAVE only in XSAVE mode
    KCHECK_EQ(g_state[i].xcr0, xsave ? info.xcr0 : 0u);
  }
}

KTEST(fpu_save_area_fits_and_round_trips_mxcsr) {
  const std::uint32_t size = arch::fpu::info().area_size;
  KCHECK(size >= 512);
  KCHECK_EQ(sched::arch::save_area_size(), size);
  KCHECK(size <= sizeof g_area);
  if (size > sizeof g_area) return;
  sched::arch::xsave_init(g_area, size);
  std::uint32_t original = 0;
  asm volatile("stmxcsr %0" : "=m"(original));
  sched::arch::save_state(g_area);
  std::uint32_t saved = 0;
  __builtin_memcpy(&saved, g_area + 24, sizeof saved);
  KCHECK_EQ(saved, original);
  const std::uint32_t changed = original ^ (3u << 13);  // another rounding mode
  __builtin_memcpy(g_area + 24, &changed, sizeof changed);
  sched::arch::restore_state(g_area);
  std::uint32_t now = 0;
  asm volatile("stmxcsr %0" : "=m"(now));
  asm volatile("ldmxcsr %0" : : "m"(original));
  KCHECK_EQ(now, changed);
}

KTEST(fpu_threads_keep_their_registers_across_switches) {
  if (!kthreads::running()) KSKIP("scheduler not running (booted with nosched)");
  if (!sched::kSwitchExtendedState) KSKIP("built without PLEIADES_SCHED_XSAVE");
  const ktest::InterruptsOn interrupts_on;
  static FpuWorker w[3];
  const std::uint32_t last = kthreads::last_online_cpu();  // CPU numbers may have gaps
  kthreads::KThread* ts[3] = {};
  g_fpu_go.store(false);
  g_fpu_turn.store(0);
  for (std::uint32_t i = 0; i < 3; ++i) {
    w[i].seed = i + 1;
    w[i].role = i;
    w[i].rounds = w[i].mismatches = w[i].cpus_seen = 0;
    w[i].timed_out = false;
    // Rounding modes: nearest, down, toward zero (RC bits 13-14), all exceptions masked.
    w[i].mxcsr = 0x1F80 | (i == 0 ? 0 : i == 1 ? (1u << 13) : (3u << 13));
    kthreads::ThreadOptions o;
    o.name = "fpu";
    o.uses_fpu = true;
    if (i < 2) o.affinity.add(platform::CpuNumber{last});
    auto t = kthreads::create_thread(o, &fpu_body, &w[i]);
    KCHECK(static_cast<bool>(t));
    if (!t) {
      g_fpu_go.store(true, std::memory_order_release);  // the ones created finish on their own
      return;
    }
    KCHECK(t.value()->extended_state != nullptr);
    ts[i] = t.value();
  }
  g_fpu_go.store(true, std::memory_order_release);
  for (auto* t : ts) KCHECK(kthreads::join(t, 20'000 * kMs));
  for (std::uint32_t i = 0; i < 3; ++i) {
    KCHECK(!w[i].timed_out.load());
    KCHECK_EQ(w[i].rounds.load(), i < 2 ? kFpuRounds : kFpuRounds / 4);
    KCHECK_EQ(w[i].mismatches.load(), 0u);
  }
}
