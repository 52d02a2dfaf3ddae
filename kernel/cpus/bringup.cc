#include "kernel/cpus/bringup.h"

#include <atomic>
#include <new>

#include "kernel/interrupts/local_apic.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/arch/x86_64/trampoline/trampoline_page.h"
#include "kernel/console/log.h"
#include "kernel/core/options.h"
#include "kernel/mm/kernel_space.h"
#include "kernel/mm/mm.h"
#include "kernel/mm/numa_placement.h"
#include "kernel/platform/platform_kernel.h"
#include "kernel/cpus/ap_start_state.h"
#include "kernel/cpus/bringup/ap_startup.h"
#include "kernel/cpus/bringup/join_handshake.h"
#include "kernel/cpus/bringup/release_wait.h"
#include "kernel/cpus/bringup/target_plan.h"
#include "kernel/cpus/cpus.h"
#include "kernel/cpus/guarded_stack.h"
#include "kernel/cpus/per_cpu.h"
#include "kernel/cpus/smp_options.h"
#include "kernel/cpus/test_ipi.h"
#include "kernel/time/clock.h"
#include "kernel/time/tsc_sync_boot.h"
#include "smp/cpu_set.h"
#include "smp/klib/format.h"

namespace kcpus {
namespace {

using arch::CpuStage;

constexpr std::uint64_t kKernelStackSize = 32 * 1024;
constexpr std::uint64_t kNsPerMs = 1'000'000;
// The highest APIC ID a CPU can be started with unless the APIC is in x2APIC mode and CPUID leaf
// 0xB gives the trampoline the full ID: an xAPIC destination is 8 bits and 0xFF is its broadcast
// ID (SDM vol. 3A, "Interrupt Command Register"), and CPUID leaf 1 reports only 8 bits.
constexpr std::uint32_t kMaxXApicId = 0xFE;

ApStartState g_start;
// Every other CPU was sent INIT by park_firmware_cpus and has had no SIPI since.
bool g_parked = false;

// The machine side of the sequencer: local APIC IPIs, stages from the trampoline slots and the
// per-CPU blocks, ktime for time.
class KernelPort final : public bringup::StartupPort {
 public:
  KernelPort(arch::TrampolinePage& page, arch::CpuLocal** locals, arch::ApBootEntry* table)
      : page_(page), locals_(locals), table_(table) {}

  void begin_wave(const bringup::Target* targets, std::uint32_t first,
                  std::uint32_t count) override {
    platform::ApicId ids[arch::TrampolinePage::kSlotCount];
    for (std::uint32_t i = 0; i < count; ++i) ids[i] = targets[first + i].apic_id;
    first_ = first;
    count_ = count;
    page_.begin_wave(ids, count, table_ + first);
  }

  // The waves are over and the trampoline page is about to be unmapped: stages come only from
  // the per-CPU blocks from now on.
  void end_waves() { count_ = 0; }

  void send_init(platform::ApicId id) override {
    // A full fence before every start-up IPI: the slots, boot table, stacks and per-CPU blocks
    // must be globally visible before the AP can run, and an x2APIC ICR write (WRMSR) is not
    // serialising (SDM vol. 3A, x2APIC "Interrupt Command Register").
    std::atomic_thread_fence(std::memory_order_seq_cst);
    kinterrupts::send_init(id);
  }

  void send_startup(platform::ApicId id) override {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    kinterrupts::send_startup(id, page_.startup_page());
  }

  std::uint32_t stage(std::uint32_t index) override {
    // The trampoline stages live in the slot, the later ones in the per-CPU block: the furthest
    // of the two is where the CPU is.
    const std::uint32_t slot = index - first_;
    const std::uint32_t from_slot = index >= first_ && slot < count_ ? page_.slot_stage(slot) : 0;
    const auto from_block = static_cast<std::uint32_t>(arch::read_stage(*locals_[index]));
    return from_block > from_slot ? from_block : from_slot;
  }

  bringup::Progress classify(std::uint32_t stage) override {
    if (stage >= static_cast<std::uint32_t>(CpuStage::kFeatureMismatch)) {
      return bringup::Progress::kParked;
    }
    if (stage == static_cast<std::uint32_t>(CpuStage::kRunning)) return bringup::Progress::kJoined;
    if (stage >= static_cast<std::uint32_t>(CpuStage::kOnline)) return bringup::Progress::kOnline;
    // From kFeaturesChecked on the AP runs its descriptor set-up and then code that logs and
    // takes locks: INIT must not hit it there.
    if (stage >= static_cast<std::uint32_t>(CpuStage::kFeaturesChecked)) {
      return bringup::Progress::kInKernel;
    }
    if (stage >= static_cast<std::uint32_t>(CpuStage::kTrampoline16)) {
      return bringup::Progress::kArrived;
    }
    return bringup::Progress::kNothing;
  }

  void reset_stage(std::uint32_t index) override {
    const std::uint32_t slot = index - first_;
    if (slot < count_) page_.reset_slot_stage(slot);
    arch::publish_stage(*locals_[index], CpuStage::kNone);
  }

  // Only kernel-code stages (kFeaturesChecked on) are claimed, and those are in the block alone:
  // the AP takes each of its steps from there with ap_advance, so one of the two claims wins.
  bool abandon(std::uint32_t index, std::uint32_t seen) override {
    return bringup::boot_abandon(&locals_[index]->stage, static_cast<CpuStage>(seen),
                                 CpuStage::kAbandoned);
  }

  std::uint64_t now_ns() override { return ktime::now_ns(); }
  void delay_ns(std::uint64_t ns) override { ktime::delay_ns(ns); }
  void relax() override { arch::pause(); }

 private:
  arch::TrampolinePage& page_;
  arch::CpuLocal** locals_;  // index = target index
  arch::ApBootEntry* table_;
  std::uint32_t first_ = 0;
  std::uint32_t count_ = 0;
};

// Linux's shortcut (arch/x86/kernel/smpboot.c, smp_quirk_init_udelay): CPUs from the P6 family
// on (Intel family >= 6, AMD family >= 0xF, Hygon >= 0x18) and any CPU under a hypervisor do not
// need the 10 ms the SDM asks for after INIT. We follow it; everything else waits the full 10 ms.
bool needs_long_init_delay() {
  const arch::CpuidResult v = arch::cpuid(0);
  const arch::CpuidResult l1 = arch::cpuid(1);
  if (l1.ecx & (1u << 31)) return false;  // hypervisor present
  std::uint32_t family = (l1.eax >> 8) & 0xF;
  if (family == 0xF) family += (l1.eax >> 20) & 0xFF;
  auto vendor_is = [&](const char (&name)[13]) {
    const std::uint32_t* w = reinterpret_cast<const std::uint32_t*>(name);
    return v.ebx == w[0] && v.edx == w[1] && v.ecx == w[2];
  };
  if (vendor_is("GenuineIntel")) return family < 6;
  if (vendor_is("AuthenticAMD")) return family < 0xF;
  if (vendor_is("HygonGenuine")) return family < 0x18;
  return true;
}

// CPUID leaf 0xB is how an AP finds its x2APIC ID in the trampoline; without it, the 8-bit
// initial APIC ID of leaf 1 (then every ID in the topology must fit 8 bits).
bool cpu_has_leaf_b() {
  return arch::cpuid(0).eax >= 0xB && (arch::cpuid(0xB, 0).ebx & 0xFFFF) != 0;
}

std::uint64_t ms(std::uint64_t ns) { return ns / kNsPerMs; }
std::uint64_t mhz(std::uint64_t hz) { return hz / 1'000'000; }

void report_cpu(const arch::CpuLocal& l) {
  klog::info("smp: cpu {} apic {} tsc {} MHz lapic timer {} MHz", l.cpu_number, l.apic_id,
             mhz(l.tsc_hz), mhz(l.lapic_timer_hz));
}

// The default log level gets one line for all online CPUs (logical number:APIC ID, then the
// rates where every CPU agrees with the boot CPU); each CPU's own line is at debug level, or at
// info for a CPU whose rates differ. Under an emulator every serial byte is a trap to the host:
// 16 CPUs' lines were about 900 bytes.
void report_online(const arch::CpuLocal& bsp, arch::CpuLocal* const* locals,
                   const bringup::Target* targets, std::uint32_t n) {
  constexpr std::uint32_t kIdsPerLine = 32;  // keeps a line well inside the log's line buffer
  const auto same = [&](const arch::CpuLocal& l) {
    return mhz(l.tsc_hz) == mhz(bsp.tsc_hz) && mhz(l.lapic_timer_hz) == mhz(bsp.lapic_timer_hz);
  };
  std::uint32_t shown = 0;
  for (std::uint32_t first = 0; first <= n; first += kIdsPerLine) {
    // 32 pairs of two 10-digit numbers, a colon and a space each.
    char ids[kIdsPerLine * 22 + 1];
    fmt::FixedBuffer text(ids, sizeof(ids));
    for (std::uint32_t i = first; i <= n && i < first + kIdsPerLine; ++i) {
      if (i != 0 && targets[i - 1].outcome != bringup::Outcome::kOnline) continue;
      const arch::CpuLocal& l = i == 0 ? bsp : *locals[i - 1];
      fmt::format_to(text, text.size() == 0 ? "{}:{}" : " {}:{}", l.cpu_number, l.apic_id);
      ++shown;
    }
    if (text.size() != 0) klog::info("smp: online (cpu:apic): {}", text.c_str());
  }
  klog::info("smp: {} CPUs online; tsc {} MHz, lapic timer {} MHz (every CPU where no line "
             "below says otherwise)", shown, mhz(bsp.tsc_hz), mhz(bsp.lapic_timer_hz));
  const klog::Level own = klog::Level::kDebug;
  klog::line(own, "smp: cpu {} apic {} tsc {} MHz lapic timer {} MHz", bsp.cpu_number,
             bsp.apic_id, mhz(bsp.tsc_hz), mhz(bsp.lapic_timer_hz));
  for (std::uint32_t i = 0; i < n; ++i) {
    if (targets[i].outcome != bringup::Outcome::kOnline) continue;
    const arch::CpuLocal& l = *locals[i];
    klog::line(same(l) ? own : klog::Level::kInfo,
               "smp: cpu {} apic {} tsc {} MHz lapic timer {} MHz", l.cpu_number, l.apic_id,
               mhz(l.tsc_hz), mhz(l.lapic_timer_hz));
  }
}

// Debug level: when the boot CPU saw the AP at each step, from the first INIT of the bring-up
// (its last start round's SIPIs, the trampoline, kernel code, online) and after the release
// (joined). Polled, so each is the first poll that saw it.
void report_profile(const arch::CpuLocal& l, const bringup::Target& t, std::uint64_t base_ns,
                    std::uint64_t released_ns) {
  const auto at = [&](std::uint64_t ns) { return ns > base_ns ? (ns - base_ns) / 1000 : 0; };
  klog::debug("smp: cpu {} apic {}: SIPI +{} us, trampoline +{} us, kernel +{} us, online +{} "
              "us; released +{} us, joined +{} us", l.cpu_number, l.apic_id, at(t.sipi_ns),
              at(t.arrived_ns), at(t.in_kernel_ns), at(t.online_ns), at(released_ns),
              at(t.joined_ns));
}

void report_failure(const arch::CpuLocal& l, const bringup::Target& t) {
  const auto stage = static_cast<CpuStage>(t.stage);
  if (stage == CpuStage::kFeatureMismatch) {
    klog::error("smp: cpu {} apic {} failed: CPUID {:#x} reg {} is {:#x}, boot CPU {:#x}; parked",
                l.cpu_number, l.apic_id, l.mismatch_leaf, "abcd"[l.mismatch_register & 3],
                l.mismatch_ap_value, l.mismatch_bsp_value);
    return;
  }
  if (t.abandoned && stage == CpuStage::kOnline) {
    klog::error("smp: cpu {} apic {} failed: released but not running within the join "
                "deadline; abandoned (parks when it gets there, never joins)",
                l.cpu_number, l.apic_id);
    return;
  }
  if (t.abandoned) {
    klog::error("smp: cpu {} apic {} failed: deadline passed in stage {} ({}); abandoned (parks "
                "at its next step, no INIT while it runs kernel code)",
                l.cpu_number, l.apic_id, cpu_stage_name(stage), t.stage);
    return;
  }
  klog::error("smp: cpu {} apic {} failed after {} start rounds, last stage {} ({}); sent INIT",
              l.cpu_number, l.apic_id, t.rounds, cpu_stage_name(stage), t.stage);
}

// One AP's per-CPU block, value-initialised (every counter, flag and pointer zero), in whole
// frames of its NUMA node (`node`, nearest first), where the AP reads and writes it all the
// time; from the heap (the boot CPU's node) when no frames are left. Never freed: CPUs do not
// go offline.
arch::CpuLocal* allocate_cpu_block(std::uint32_t node) {
  constexpr std::uint64_t kPages = (sizeof(arch::CpuLocal) + boot::kPageSize - 1) / boot::kPageSize;
  // Cleared whole frames, not only the block: every store to a frame that once held executed
  // code is slow under an emulator until it is rewritten (mm::clear_frames), and this block
  // takes several stores per system call.
  if (auto frames = mm::alloc_cleared_frames_on_node(kPages, node)) {
    return new (mm::phys_to_virt(frames.value())) arch::CpuLocal();
  }
  return new (std::nothrow) arch::CpuLocal();
}

// Storage for every AP: its stacks (on its node) and boot-table entry. False (reported) on out
// of memory.
bool prepare_cpu(arch::CpuLocal& l, platform::CpuNumber number, platform::ApicId apic_id,
                 std::uint32_t uid, std::uint32_t node, arch::ApBootEntry& entry) {
  l.self = &l;
  l.cpu_number = number;
  l.apic_id = apic_id;
  l.acpi_uid = uid;
  l.stage = CpuStage::kNone;
  auto stack = allocate_guarded_stack(kKernelStackSize, node);
  if (!stack) {
    klog::error("smp: cpu {}: kernel stack: {}", number, stack.error());
    return false;
  }
  l.kernel_stack_top = stack.value().top;
  for (unsigned i = 0; i < arch::kIstStackCount; ++i) {
    auto ist = allocate_guarded_stack(arch::kIstStackSize, node);
    if (!ist) {
      klog::error("smp: cpu {}: IST stack: {}", number, ist.error());
      return false;
    }
    l.ist_tops[i] = ist.value().top;
  }
  entry.stack_top = l.kernel_stack_top;
  entry.arg = &l;
  return true;
}

// An online AP halted in its wait for the release (smp_ap_entry): one IPI ends the halt. The
// test vector's handler is installed before any AP starts and only counts the IPI.
void wake_waiting_ap(std::uint32_t cpu) { send_test_ipi(platform::CpuNumber{cpu}); }

BringupResult boot_cpu_only(BringupResult r, const char* why) {
  platform::kernel::set_cpu_count(1);
  set_all_listed_cpus_online(r.listed <= 1);
  klog::info("smp: 1 of {} CPUs online in 0 ms (boot CPU only: {})", r.listed, why);
  report_cpu(arch::boot_cpu_local());
  r.online = 1;
  return r;
}

}  // namespace

ApStartState& ap_start_state() { return g_start; }

void park_firmware_cpus() { g_parked = kinterrupts::send_init_all_but_self(); }

BringupResult start_secondary_cpus(const acpi::Topology& topology, const boot::BootInfo& info,
                                   const cmdline::SmpOptions& opts) {
  const std::uint64_t started_ns = ktime::now_ns();  // the stage profile's start
  arch::CpuLocal& bsp = arch::boot_cpu_local();
  bsp.apic_id = kinterrupts::current_id();  // the full (x2)APIC ID now that the APIC is set up
  bsp.tsc_hz = ktime::tsc_hz();
  bsp.lapic_timer_hz = ktime::lapic_timer_hz();
  if (topology.cpus.size > 0) bsp.acpi_uid = topology.cpus[0].uid;
  install_test_ipi_handler();

  BringupResult r;
  r.listed = topology.cpus.size == 0 ? 1 : topology.cpus.size;
  if (opts.mode == StartMode::kOff) return boot_cpu_only(r, "smp=off");
  if (!info.trampoline_valid) return boot_cpu_only(r, "the loader found no trampoline page");

  // Targets: the listed APs in logical order up to maxcpus and the kernel's CPU limit, then the
  // fake IDs (test only). No CPU is numbered at or above smp::kMaxCpus (the per-CPU tables of the
  // APIC and timer code rely on it); the ones left out stay in firmware and are reported.
  const bringup::TargetPlan plan =
      bringup::plan_targets(r.listed, opts.max_cpus != 0 ? opts.max_cpus : kNoCpuLimit,
                            opts.fake_apics.count, smp::kMaxCpus);
  if (plan.beyond_limit != 0) {
    klog::warn("smp: {} listed CPUs beyond the kernel's limit of {} CPUs (smp::kMaxCpus) are not "
               "started: CPU {} (APIC ID {}) and after", plan.beyond_limit, smp::kMaxCpus,
               1 + plan.listed_aps + plan.by_maxcpus,
               topology.cpus[1 + plan.listed_aps + plan.by_maxcpus].apic_id);
  }
  if (plan.fake_refused != 0) {
    klog::warn("smp: {} smp_fake_apic targets beyond the CPU limit ignored", plan.fake_refused);
  }
  const std::uint32_t listed_aps = plan.listed_aps;
  const std::uint32_t n = listed_aps + plan.fake;
  if (n == 0) return boot_cpu_only(r, r.listed > 1 ? "maxcpus=1" : "no other CPU listed");
  const bool leaf_b = cpu_has_leaf_b();
  const bool x2apic = kinterrupts::x2apic_mode();

  const std::uint32_t total = n + 1;
  const std::uint64_t planned_ns = ktime::now_ns();
  auto* targets = new (std::nothrow) bringup::Target[n];
  auto* table = new (std::nothrow) arch::CpuLocal*[total]();
  arch::CpuLocal** locals = table ? table + 1 : nullptr;  // locals[i]: target i's block
  auto* boot_table = new (std::nothrow) arch::ApBootEntry[n]();
  if (!targets || !table || !boot_table || !PerCpuRegistry::allocate(total)) {
    return boot_cpu_only(r, "out of memory for the per-CPU data");
  }
  table[0] = &bsp;
  const std::uint64_t blocks_ns = ktime::now_ns();
  std::uint32_t unusable = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    const bool fake = i >= listed_aps;
    const platform::ApicId id = fake ? platform::ApicId{opts.fake_apics.ids[i - listed_aps]}
                                     : topology.cpus[i + 1].apic_id;
    const std::uint32_t uid = fake ? kinterrupts::kAllCpus : topology.cpus[i + 1].uid;
    targets[i].apic_id = id;
    // Fake IDs name no CPU: node 0, as apic_node gives any ID the SRAT does not list.
    const std::uint32_t node = mm::apic_node(id);
    locals[i] = allocate_cpu_block(node);
    if (locals[i] == nullptr) return boot_cpu_only(r, "out of memory for the per-CPU data");
    if (!prepare_cpu(*locals[i], platform::CpuNumber{i + 1}, id, uid, node, boot_table[i])) {
      return boot_cpu_only(r, "out of memory for the AP stacks");
    }
    // An ID the trampoline could not match (leaf 1 gives 8 bits) or xAPIC cannot address.
    if (platform::to_raw(id) > kMaxXApicId && (!leaf_b || !x2apic)) {
      klog::error("smp: cpu {} apic {}: ID needs x2APIC and CPUID 0xB; not started", i + 1, id);
      targets[i].outcome = bringup::Outcome::kFailed;
      ++unusable;
    }
  }
  set_cpu_table(table, total);
  platform::kernel::set_cpu_count(total);
  const std::uint64_t stacks_ns = ktime::now_ns();

  g_start.control = arch::read_control_registers();
  g_start.features = read_cpu_features();
  auto page = arch::TrampolinePage::install(
      info.trampoline_page, mm::phys_to<std::uint8_t>(info.trampoline_page), mm::kernel_pml4(),
      &smp_ap_entry, g_start.control, leaf_b);
  if (!page) {
    platform::kernel::set_cpu_count(1);
    return boot_cpu_only(r, page.error());
  }
  // Identity mapping for the mode switch: writable because the 32/64-bit stages write their
  // stage into the slots through it, executable because they run there. It exists only until
  // the waves are over.
  if (!mm::kernel_map(info.trampoline_page, info.trampoline_page, boot::kPageSize,
                      paging::PageFlags{.writable = true, .executable = true})) {
    page.value().wipe();
    platform::kernel::set_cpu_count(1);
    return boot_cpu_only(r, "identity mapping of the trampoline page failed");
  }

  const std::uint64_t prepared_ns = ktime::now_ns();
  const auto us = [](std::uint64_t from, std::uint64_t to) { return (to - from) / 1000; };
  klog::debug("smp: prepare: plan {} us, per-CPU blocks {} us, {} stacks {} us, trampoline page "
              "{} us", us(started_ns, planned_ns), us(planned_ns, blocks_ns),
              n * (1 + arch::kIstStackCount), us(blocks_ns, stacks_ns),
              us(stacks_ns, prepared_ns));
  const bool long_init = needs_long_init_delay();
  bringup::Timing timing;
  timing.init_delay_ns = long_init ? 10'000'000 : 0;
  timing.already_inited = g_parked;
  const std::uint32_t wave = opts.mode == StartMode::kSerial ? 1 : arch::TrampolinePage::kSlotCount;
  // Debug level: a line on a scrolling framebuffer console costs up to 0.1 s under an emulator
  // (the bring-up profile measured it), and this one is inside the timed stages.
  klog::debug("smp: starting {} CPUs ({}, INIT delay {} us, {} trampoline at {:#x})", n,
             start_mode_name(opts.mode), timing.init_delay_ns / 1000,
             leaf_b ? "x2APIC-ID" : "8-bit-ID", info.trampoline_page);

  // Targets already failed (unaddressable) are skipped by the sequencer: it only starts pending
  // ones. It works on the array in place; compact pending ones would change the numbering.
  KernelPort port(page.value(), table + 1, boot_table);  // table[i + 1] = target i
  const std::uint64_t announced_ns = ktime::now_ns();
  const bringup::Summary s = bringup::start_all(targets, n, wave, port, timing);
  const std::uint64_t started_all_ns = ktime::now_ns();
  port.end_waves();
  const std::uint32_t stray = page.value().unknown_arrivals();
  page.value().wipe();
  // Removing a present translation: kernel_unmap flushes this CPU; the APs flushed their whole
  // TLB (CR4/CR3 writes in init_secondary_cpu) after leaving the page and never touch it again.
  if (!mm::kernel_unmap(info.trampoline_page, boot::kPageSize)) {
    klog::error("smp: unmapping the trampoline page at {:#x} failed (wiped)", info.trampoline_page);
  }

  const std::uint64_t waves_done_ns = ktime::now_ns();
  klog::debug("smp: start waves: log line {} us, INIT to last online {} us, sequencer {} us, "
              "trampoline wiped and unmapped {} us", us(prepared_ns, announced_ns),
              s.last_online_ns > s.first_init_ns ? us(s.first_init_ns, s.last_online_ns) : 0,
              us(announced_ns, started_all_ns), us(started_all_ns, waves_done_ns));
  r.targets = n;
  r.elapsed_ns = s.last_online_ns > s.first_init_ns ? s.last_online_ns - s.first_init_ns : 0;
  // No "all but self" shorthand while any AP may still be abandoned (it would reach a parked
  // CPU); decided below once every AP has joined or been given up on.
  set_all_listed_cpus_online(false);
  // Before the release, while the online APs wait in serve_tsc_sync: their TSCs against ours.
  ktime::TscSyncCpus sync_cpus;
  sync_cpus.count = total;
  sync_cpus.ctx = targets;
  sync_cpus.online = [](const void* t, std::uint32_t cpu) {
    return static_cast<const bringup::Target*>(t)[cpu - 1].outcome == bringup::Outcome::kOnline;
  };
  sync_cpus.apic_id = [](const void*, std::uint32_t cpu) {
    return platform::to_raw(cpu_local(platform::CpuNumber{cpu})->apic_id);
  };
  sync_cpus.wake = [](const void*, std::uint32_t cpu) { wake_waiting_ap(cpu); };
  ktime::check_tsc_sync(sync_cpus);
  // Release every online AP at once. Each joins (claims kRunning with the join handshake) or,
  // if it has not within the deadline, is claimed abandoned and parks when it gets there; so
  // when we return, cpu_online() holds for exactly the APs that will ever run kernel code.
  const std::uint64_t synced_ns = ktime::now_ns();
  g_start.released.store(true, std::memory_order_release);
  // The online APs wait halted (smp_ap_entry): wake each to see the release.
  for (std::uint32_t i = 0; i < n; ++i) {
    if (targets[i].outcome == bringup::Outcome::kOnline) wake_waiting_ap(i + 1);
  }
  const bringup::JoinSummary joins =
      bringup::await_joins(targets, n, ktime::now_ns(), port, timing);
  const std::uint64_t joined_ns = ktime::now_ns();
  r.online = 1 + joins.joined;
  r.failed = s.failed + unusable + joins.abandoned;
  // A fake ID names no CPU, so only the listed ones decide whether the shorthand is safe.
  set_all_listed_cpus_online(r.online == r.listed);

  klog::info("smp: {} of {} CPUs online in {} ms ({} waves, {} retried)", r.online,
             r.listed + plan.fake, ms(r.elapsed_ns), s.waves, s.retried);
  // Where the wall time went (docs/smp.md "Bring-up stages"); the whole is what Linux's "smp:
  // Bringing up secondary CPUs" to "smp: Brought up" spans (scripts/bench --vs-linux).
  klog::info("smp: bring-up took {} us: prepare {} us, start waves {} us, TSC check {} us, "
             "release and join {} us", us(started_ns, joined_ns), us(started_ns, prepared_ns),
             us(prepared_ns, waves_done_ns), us(waves_done_ns, synced_ns),
             us(synced_ns, joined_ns));
  report_online(bsp, locals, targets, n);
  for (std::uint32_t i = 0; i < n; ++i) {
    if (targets[i].outcome == bringup::Outcome::kOnline) {
      report_profile(*locals[i], targets[i], s.first_init_ns, synced_ns);
      if (targets[i].rounds > 1) {
        klog::warn("smp: cpu {} apic {} needed {} start rounds", i + 1, locals[i]->apic_id,
                   targets[i].rounds);
      }
    } else if (targets[i].rounds > 0) {
      report_failure(*locals[i], targets[i]);
    }
  }
  if (stray != 0) klog::warn("smp: {} CPUs ran the trampoline without a slot (parked)", stray);
  return r;
}

}  // namespace kcpus
