// In-kernel tests of memory management on the real machine: the address space mm::init built,
// the control bits, frames and the per-CPU frame caches, kernel_map/protect/unmap and map_mmio.
#include <atomic>
#include <new>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/mmu/mmu.h"
#include "kernel/mm/kernel_space.h"
#include "kernel/mm/mm.h"
#include "kernel/ktest/interrupts_on.h"
#include "kernel/ktest/ktest.h"
#include "kernel/console/log.h"
#include "kernel/threads/kernel_scheduler.h"
#include "kernel/threads/kthread.h"
#include "kernel/threads/sleep_queue.h"
#include "kernel/time/clock.h"

extern "C" const char __kernel_start[], __rodata_start[], __data_start[];

namespace {

constexpr std::uint64_t kPage = boot::kPageSize;

// The 8-byte words of `pages` frames from `phys` that are not zero.
std::uint64_t nonzero_words(std::uint64_t phys, std::uint64_t pages) {
  const auto* words = mm::phys_to<volatile const std::uint64_t>(phys);
  std::uint64_t n = 0;
  for (std::uint64_t i = 0; i < pages * kPage / 8; ++i) n += words[i] != 0 ? 1 : 0;
  return n;
}

// Writes a non-zero word all over `pages` frames from `phys`.
void dirty(std::uint64_t phys, std::uint64_t pages) {
  auto* words = mm::phys_to<volatile std::uint64_t>(phys);
  for (std::uint64_t i = 0; i < pages * kPage / 8; ++i) words[i] = 0xa5a5'a5a5'0000'0001ull + i;
}

}  // namespace

KTEST(mm_control_bits_set) {
  KCHECK(mm::arch::read_efer() & mm::arch::kEferNoExecuteEnable);
  KCHECK(mm::arch::read_cr0() & mm::arch::kCr0WriteProtect);
  const mm::arch::MmuFeatures f = mm::arch::detect_features();
  KCHECK_EQ((mm::arch::read_cr4() & mm::arch::kCr4Smep) != 0, f.smep);
  KCHECK_EQ((mm::arch::read_cr4() & mm::arch::kCr4Smap) != 0, f.smap);
  KCHECK_EQ(arch::read_cr3(), mm::kernel_pml4());
}

KTEST(mm_kernel_image_permissions) {
  auto text = mm::kernel_translate(reinterpret_cast<std::uint64_t>(__kernel_start));
  auto rodata = mm::kernel_translate(reinterpret_cast<std::uint64_t>(__rodata_start));
  auto data = mm::kernel_translate(reinterpret_cast<std::uint64_t>(__data_start));
  KCHECK(text.ok() && rodata.ok() && data.ok());
  KCHECK(text.value().flags.executable && !text.value().flags.writable);
  KCHECK(!rodata.value().flags.executable && !rodata.value().flags.writable);
  KCHECK(!data.value().flags.executable && data.value().flags.writable);
}

KTEST(mm_direct_map_is_nx_and_no_low_identity_map) {
  auto direct = mm::kernel_translate(boot::kDirectMapBase + 0x100000);
  KCHECK(direct.ok());
  KCHECK_EQ(direct.value().phys, 0x100000u);
  KCHECK(!direct.value().flags.executable);
  // The loader identity-mapped low memory; the kernel does not (runtime regions aside, and
  // page 0 is never one of them).
  KCHECK(!mm::kernel_translate(0).ok());
}

KTEST(mm_frames_alloc_free_and_double_free) {
  auto run = mm::alloc_frames(4, 4 * kPage);
  KCHECK(run.ok());
  KCHECK_EQ(run.value() % (4 * kPage), 0u);
  auto* bytes = mm::phys_to<volatile std::uint8_t>(run.value());
  for (std::uint64_t i = 0; i < 4 * kPage; i += 512) bytes[i] = static_cast<std::uint8_t>(i >> 9);
  const std::uint64_t free_before = mm::stats().free_bytes;
  KCHECK(mm::free_frames(run.value(), 4).ok());
  KCHECK_EQ(mm::stats().free_bytes, free_before + 4 * kPage);
  auto again = mm::free_frames(run.value(), 4);
  KCHECK(!again.ok());
  KCHECK_EQ(again.error(), mm::FrameError::kDoubleFree);
  auto foreign = mm::free_frames(0, 1);  // page 0 is never the allocator's
  KCHECK(!foreign.ok());
  KCHECK_EQ(foreign.error(), mm::FrameError::kForeignFrame);
}

KTEST(mm_cleared_frames_read_zero) {
  constexpr std::uint64_t kPages = 3;
  // clear_frames: every byte of a run written all over reads zero.
  auto run = mm::alloc_frames(kPages);
  KCHECK(run.ok());
  dirty(run.value(), kPages);
  KCHECK_EQ(nonzero_words(run.value(), kPages), kPages * kPage / 8);
  mm::clear_frames(run.value(), kPages);
  KCHECK_EQ(nonzero_words(run.value(), kPages), 0u);
  KCHECK(mm::free_frames(run.value(), kPages).ok());
  // A frame dirtied and freed, then what alloc_cleared_frames hands out next (mostly that same
  // frame: a CPU's cache gives back the frame freed last), reads zero.
  for (int round = 0; round < 8; ++round) {
    auto used = mm::alloc_frames(1);
    KCHECK(used.ok());
    dirty(used.value(), 1);
    KCHECK(mm::free_frames(used.value(), 1).ok());
    auto cleared = mm::alloc_cleared_frames(1);
    KCHECK(cleared.ok());
    KCHECK_EQ(nonzero_words(cleared.value(), 1), 0u);
    KCHECK(mm::free_frames(cleared.value(), 1).ok());
  }
  // A run on a node: the same, after the run from the bitmap was dirtied and freed.
  auto used = mm::alloc_frames_on_node(kPages, 0);
  KCHECK(used.ok());
  dirty(used.value(), kPages);
  KCHECK(mm::free_frames(used.value(), kPages).ok());
  auto cleared = mm::alloc_cleared_frames_on_node(kPages, 0);
  KCHECK(cleared.ok());
  KCHECK_EQ(nonzero_words(cleared.value(), kPages), 0u);
  KCHECK(mm::free_frames(cleared.value(), kPages).ok());
}

KTEST(mm_frames_below_limit) {
  auto low = mm::alloc_frames(1, 0, 16ull << 20);
  KCHECK(low.ok());
  KCHECK(low.value() + kPage <= (16ull << 20));
  KCHECK(low.value() != 0);
  KCHECK(mm::free_frames(low.value(), 1).ok());
}

KTEST(mm_kernel_map_protect_unmap) {
  auto frame = mm::alloc_frames(1);
  KCHECK(frame.ok());
  // A scratch address in the MMIO window's last 2 MiB, which map_mmio never reaches in a test.
  const std::uint64_t virt = mm::kMmioWindowBase + mm::kMmioWindowSize - 0x200000;
  KCHECK(mm::kernel_map(virt, frame.value(), kPage, paging::kKernelData).ok());
  auto* via_map = reinterpret_cast<volatile std::uint64_t*>(virt);
  *via_map = 0x1122334455667788;
  KCHECK_EQ(*mm::phys_to<volatile std::uint64_t>(frame.value()), 0x1122334455667788u);
  KCHECK(mm::kernel_protect(virt, kPage, paging::kKernelRodata).ok());
  auto t = mm::kernel_translate(virt);
  KCHECK(t.ok() && !t.value().flags.writable);
  KCHECK(mm::kernel_unmap(virt, kPage).ok());
  KCHECK(!mm::kernel_translate(virt).ok());
  KCHECK(mm::free_frames(frame.value(), 1).ok());
}

KTEST(mm_map_mmio_uncached) {
  // The local APIC's default base: a device page every x86-64 machine has.
  constexpr std::uint64_t kLapic = 0xfee00000;
  auto regs = mm::map_mmio(kLapic + 0x20, 4);
  KCHECK(regs.ok());
  const auto virt = reinterpret_cast<std::uint64_t>(regs.value());
  KCHECK_EQ(virt & (kPage - 1), 0x20u);
  auto t = mm::kernel_translate(virt);
  KCHECK(t.ok());
  KCHECK_EQ(t.value().phys, kLapic + 0x20);
  KCHECK(t.value().flags.cache_disable && !t.value().flags.executable);
  // Reading the LAPIC version register (offset 0x30) gives a non-zero version.
  auto version = mm::map_mmio(kLapic + 0x30, 4);
  KCHECK(version.ok());
  KCHECK((*static_cast<volatile std::uint32_t*>(version.value()) & 0xff) != 0);
}

KTEST(mm_heap_many_sizes) {
  void* blocks[64];
  for (int i = 0; i < 64; ++i) {
    const std::size_t size = 1 + static_cast<std::size_t>(i) * 311;
    blocks[i] = ::operator new(size);
    KCHECK(blocks[i] != nullptr);
    __builtin_memset(blocks[i], i, size);
  }
  for (int i = 0; i < 64; ++i) {
    KCHECK_EQ(static_cast<unsigned char*>(blocks[i])[0], static_cast<unsigned char>(i));
    ::operator delete(blocks[i], 1 + static_cast<std::size_t>(i) * 311);
  }
}

// ---- Per-CPU frame caches ------------------------------------------------------------------

namespace {

constexpr std::uint64_t kMs = 1'000'000;
constexpr std::uint32_t kStressCpus = 8;  // CPUs the stress runs on (the first online ones)

// One thread per CPU allocates single frames, stamps them, keeps up to 32, and passes every
// other one to the next CPU's mailbox, which frees it there: frames allocated on one CPU are
// freed on another. Bounded in time: the loop ends at `deadline_ns`.
struct FrameStress {
  std::uint32_t cpus = 0;
  std::uint64_t deadline_ns = 0;
  std::atomic<std::uint64_t> mailbox[kStressCpus] = {};
  std::atomic<std::uint32_t> errors{0};
  std::atomic<std::uint64_t> rounds{0};
  std::atomic<bool> start{false};
  std::atomic<std::uint32_t> done{0};
};

// Polls `ready` every millisecond for up to `timeout_ns`.
template <typename Ready>
bool wait_until(Ready ready, std::uint64_t timeout_ns) {
  const std::uint64_t limit = ktime::now_ns() + timeout_ns;
  while (!ready()) {
    if (ktime::now_ns() >= limit) return false;
    kthreads::sleep_for(kMs);
  }
  return true;
}

struct FrameStressArg {
  FrameStress* stress;
  std::uint32_t index;
};

void frame_stress_body(void* p) {
  auto* a = static_cast<FrameStressArg*>(p);
  FrameStress& s = *a->stress;
  std::uint64_t held[32];
  std::uint32_t count = 0;
  std::uint64_t n = 0;
  // The main thread counts free frames between start and done: thread creation's own
  // allocations stay outside that window.
  if (!wait_until([&] { return s.start.load(std::memory_order_acquire); }, 10'000 * kMs)) {
    s.errors.fetch_add(1);
  }
  auto give_back = [&](std::uint64_t phys) {
    if (!mm::free_frames(phys, 1).ok()) s.errors.fetch_add(1);
  };
  while (ktime::now_ns() < s.deadline_ns) {
    auto frame = mm::alloc_frames(1);
    if (!frame) {
      s.errors.fetch_add(1);
      break;
    }
    // A stamp of this CPU and round: a frame handed out twice would show another's stamp.
    auto* word = mm::phys_to<volatile std::uint64_t>(frame.value());
    const std::uint64_t stamp = (std::uint64_t{a->index} << 48) | n;
    *word = stamp;
    held[count++] = frame.value();
    if (*word != stamp) s.errors.fetch_add(1);
    if (count == 32 || (n & 1) != 0) {
      const std::uint64_t phys = held[--count];
      const std::uint64_t back = s.mailbox[(a->index + 1) % s.cpus].exchange(phys);
      if (back != 0) give_back(back);
    }
    if ((n & 7) == 0) kthreads::preempt_point();
    ++n;
  }
  while (count > 0) give_back(held[--count]);
  s.rounds.fetch_add(n);
  s.done.fetch_add(1, std::memory_order_release);
}

}  // namespace

KTEST(mm_frame_caches_every_cpu_with_cross_cpu_frees) {
  if (!kthreads::running()) KSKIP("scheduler not running (boot with `sched`)");
  ktest::InterruptsOn irqs;
  static FrameStress stress;  // static: 8 mailboxes and counters, not on the test's stack
  stress.~FrameStress();
  new (&stress) FrameStress();
  const std::uint32_t online = kthreads::online_cpu_count();
  stress.cpus = online < kStressCpus ? online : kStressCpus;
  FrameStressArg args[kStressCpus];
  kthreads::KThread* threads[kStressCpus] = {};
  for (std::uint32_t i = 0; i < stress.cpus; ++i) {
    args[i] = {&stress, i};
    kthreads::ThreadOptions o;
    o.name = "frame-stress";
    o.affinity = smp::CpuSet::only(kthreads::nth_online_cpu(i));
    auto t = kthreads::create_thread(o, &frame_stress_body, &args[i]);
    KCHECK(static_cast<bool>(t));
    threads[i] = t.value();
  }
  mm::drain_frame_caches();
  const std::uint64_t free_before = mm::stats().free_bytes;
  const mm::CpuFrameCacheStats before = mm::frame_cache_totals();
  stress.deadline_ns = ktime::now_ns() + 300 * kMs;
  stress.start.store(true, std::memory_order_release);
  const bool finished = wait_until(
      [&] { return stress.done.load(std::memory_order_acquire) == stress.cpus; }, 10'000 * kMs);
  for (auto& slot : stress.mailbox) {
    if (const std::uint64_t phys = slot.exchange(0)) KCHECK(mm::free_frames(phys, 1).ok());
  }
  const std::uint64_t free_after = mm::stats().free_bytes;
  for (std::uint32_t i = 0; i < stress.cpus; ++i) KCHECK(kthreads::join(threads[i], 10'000 * kMs));
  KCHECK(finished);
  KCHECK_EQ(stress.errors.load(), 0u);
  KCHECK(stress.rounds.load() > 0);
  const mm::CpuFrameCacheStats during = mm::frame_cache_totals();
  KCHECK(during.refills > before.refills);
  KCHECK_EQ(during.bad_frames, 0u);
  // Every frame is free again (cached ones count), and after a drain none is cached.
  KCHECK_EQ(free_after, free_before);
  mm::drain_frame_caches();
  KCHECK_EQ(mm::frame_cache_totals().cached, 0u);
  klog::info("mm: frame stress: {} allocations on {} CPUs in 300 ms, {} refills, {} drains",
             stress.rounds.load(), stress.cpus, during.refills - before.refills,
             during.drains - before.drains);
}

namespace {

void alloc_and_free_one_frame(void* p) {
  auto* ok = static_cast<std::atomic<bool>*>(p);
  auto frame = mm::alloc_frames(1);
  ok->store(frame.ok() && mm::free_frames(frame.value(), 1).ok(), std::memory_order_release);
}

}  // namespace

// A CPU that goes idle with frames in its cache gives them back once it has been idle for
// mm::kFrameCacheIdleNs (its idle loop calls mm::frame_cache_idle()).
KTEST(mm_frame_cache_drained_by_an_idle_cpu) {
  if (!kthreads::running()) KSKIP("scheduler not running (boot with `sched`)");
  if (kthreads::online_cpu_count() < 2) KSKIP("needs two CPUs");
  ktest::InterruptsOn irqs;
  const std::uint32_t cpu = kthreads::last_online_cpu();
  const platform::CpuNumber number{cpu};
  const std::uint64_t idle_drains_before = mm::frame_cache_stats(number).idle_drains;
  std::atomic<bool> ok{false};
  kthreads::ThreadOptions o;
  o.name = "frame-idle";
  o.affinity = smp::CpuSet::only(cpu);
  auto t = kthreads::create_thread(o, &alloc_and_free_one_frame, &ok);
  KCHECK(static_cast<bool>(t));
  KCHECK(kthreads::join(t.value(), 5'000 * kMs));
  KCHECK(ok.load(std::memory_order_acquire));
  // The thread left at least the frame it freed in that CPU's cache; the CPU is idle now.
  const bool drained = wait_until(
      [&] {
        return mm::frame_cache_stats(number).idle_drains > idle_drains_before &&
               mm::frame_cache_stats(number).cached == 0;
      },
      5'000 * kMs);
  KCHECK(drained);
}

// A limited request finds no free frame below its limit in the bitmap, but one sits in this
// CPU's frame cache: the request drains the caches and gets it.
KTEST(mm_limited_request_drains_the_frame_caches) {
  constexpr std::uint64_t kLimit = 16ull << 20;
  constexpr std::size_t kMaxHeld = 8192;  // 32 MiB of frames: more than lies below the limit
  auto* held = new (std::nothrow) std::uint64_t[kMaxHeld];
  KCHECK(held != nullptr);
  mm::drain_frame_caches();
  std::size_t count = 0;
  while (count < kMaxHeld) {
    auto low = mm::alloc_frames(1, 0, kLimit);
    if (!low) break;
    held[count++] = low.value();
  }
  const bool exhausted = count > 0 && count < kMaxHeld;
  bool refilled = false;
  if (exhausted) {
    const std::uint64_t cached_before = mm::frame_cache_totals().cached;
    // Into this CPU's cache (interrupts are off: the test stays on its CPU), not the bitmap.
    refilled = mm::free_frames(held[--count], 1).ok() &&
               mm::frame_cache_totals().cached == cached_before + 1;
    auto again = mm::alloc_frames(1, 0, kLimit);
    if (again) held[count++] = again.value();
    KCHECK(again.ok());
  }
  bool freed = true;
  while (count > 0) freed = mm::free_frames(held[--count], 1).ok() && freed;
  delete[] held;
  KCHECK(exhausted);
  KCHECK(refilled);
  KCHECK(freed);
}
