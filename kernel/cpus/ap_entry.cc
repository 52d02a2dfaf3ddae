// An AP's path from the trampoline to its idle loop. Each step publishes a stage in its per-CPU
// block (arch::CpuStage) so the boot CPU can tell how far a silent CPU got. From kernel entry
// on, each step is a compare-and-swap from the stage this CPU wrote last (the join handshake,
// bringup/join_handshake.h): the boot CPU may give up on it at any of those stages by writing
// kAbandoned there first, and then this CPU parks at its next step instead of going on; the
// last step, kOnline -> kRunning after the release, is the join itself. Nothing before
// arch::init_secondary_cpu may read GS (the base is not set yet) or fault (no IDT yet).
#include "kernel/interrupts/local_apic.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/fpu.h"
#include "kernel/arch/x86_64/user_mode.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/arch/x86_64/mmu/pat.h"
#include "kernel/threads/kernel_scheduler.h"
#include "kernel/cpus/ap_start_state.h"
#include "kernel/cpus/bringup/join_handshake.h"
#include "kernel/cpus/run_on_cpu.h"
#include "kernel/time/clock.h"
#include "kernel/time/tsc_sync_boot.h"

namespace kcpus {
namespace {

using arch::CpuStage;

// A CPU that cannot be used stops here for good: interrupts off, halted; an NMI or SMI returns
// to the hlt. It touches nothing shared on the way and holds no lock (every step below releases
// what it took before the next stage). `why` replaces `from` only if the boot CPU has not
// claimed this CPU abandoned meanwhile; either way the word ends terminal. The boot CPU also
// sends it INIT once it sees a terminal stage during the start-up (the CPU is halted by then).
[[noreturn]] void park(arch::CpuLocal& local, CpuStage from, CpuStage why) {
  (void)bringup::ap_advance(&local.stage, from, why);
  arch::halt_forever();
}

// The next step, unless the boot CPU has given up on this CPU (its claim is in the word): then
// park for good, leaving the claim as the final stage.
void advance(arch::CpuLocal& local, CpuStage from, CpuStage to) {
  if (!bringup::ap_advance(&local.stage, from, to)) arch::halt_forever();
}

}  // namespace

extern "C" void smp_ap_entry(void* arg) {
  arch::CpuLocal& local = *static_cast<arch::CpuLocal*>(arg);
  ApStartState& start = ap_start_state();
  // A plain store: the boot CPU never claims a CPU at a trampoline stage (it sends INIT there).
  arch::publish_stage(local, CpuStage::kKernelEntry);

  // Features before the boot CPU's CR4: a bit this CPU lacks would fault with no IDT loaded.
  const CpuFeatures mine = read_cpu_features();
  const unsigned diff = first_difference(mine, start.features);
  if (diff != kFeatureWords) {
    const FeatureWord& w = feature_word(diff);
    local.mismatch_leaf = w.leaf;
    local.mismatch_register = w.reg;
    local.mismatch_ap_value = mine.value[diff];
    local.mismatch_bsp_value = start.features.value[diff];
    park(local, CpuStage::kKernelEntry, CpuStage::kFeatureMismatch);
  }
  advance(local, CpuStage::kKernelEntry, CpuStage::kFeaturesChecked);
  // The boot CPU's PAT (its PA7 is WC) before this CPU can touch the framebuffer.
  (void)mm::arch::init_pat_this_cpu();

  arch::init_secondary_cpu(local, start.control);
  advance(local, CpuStage::kFeaturesChecked, CpuStage::kDescriptors);
  // The boot CPU's FPU mode and XCR0: threads that use the FPU migrate with one area layout.
  if (!arch::fpu::init_this_cpu()) {
    local.mismatch_leaf = 0xD;
    local.mismatch_register = 0;
    local.mismatch_ap_value = static_cast<std::uint32_t>(arch::cpuid(0xD, 0).eax);
    local.mismatch_bsp_value = static_cast<std::uint32_t>(arch::fpu::info().xcr0);
    park(local, CpuStage::kDescriptors, CpuStage::kFeatureMismatch);
  }
  arch::init_syscall_this_cpu();  // STAR/LSTAR/FMASK are per CPU

  // x2APIC first when the boot CPU uses it, before any x2APIC MSR.
  kinterrupts::init_this_cpu(local.acpi_uid);
  if (kinterrupts::current_id() != local.apic_id) {
    park(local, CpuStage::kDescriptors, CpuStage::kApicIdMismatch);
  }
  advance(local, CpuStage::kDescriptors, CpuStage::kApic);

  local.tsc_hz = ktime::tsc_hz();
  // The check of the boot CPU's timer rate runs across the wait below (finished after it).
  ktime::begin_boot_rate_check();
  advance(local, CpuStage::kApic, CpuStage::kTimer);

  advance(local, CpuStage::kTimer, CpuStage::kOnline);
  // Parked until the boot CPU has finished the whole bring-up and releases every online CPU at
  // once. No deadline on our side: whether this CPU is used is the boot CPU's decision. Once
  // this CPU is online the boot CPU never claims it before the release, so the claim can only
  // meet the join below.
  // It waits halted, not spinning: the boot CPU sends a wake-up IPI (the test vector, whose
  // handler only counts it) after posting a TSC round for this CPU and after the release. A
  // spinning wait would take the host CPU from the CPUs still starting when the machine is
  // virtual (dozens of virtual CPUs on a few host cores), and burns power on hardware.
  while (!start.released.load(std::memory_order_acquire)) {
    // The boot CPU's TSC check, when it asks us; then look again before halting.
    if (ktime::serve_tsc_sync(platform::to_index(local.cpu_number))) continue;
    // Interrupts are off here, so a wake-up sent after the checks above stays pending, and
    // sti's one-instruction shadow makes "sti; hlt" atomic: it ends the halt. Interrupts go off
    // again before the next look (nothing before the release may run with them on).
    asm volatile("sti; hlt; cli" : : : "memory");
  }
  // Before the join: the boot CPU reports every joined CPU's rate.
  local.lapic_timer_hz = ktime::finish_boot_rate_check();
  // The join: kRunning if the boot CPU is still waiting for us; if it gave up first (a virtual
  // CPU its host did not run in time), park for good: counted failed, never in the scheduler,
  // in no CPU set.
  advance(local, CpuStage::kOnline, CpuStage::kRunning);
  // With the scheduler (the default; `nosched` turns it off) this CPU runs threads and never
  // returns; otherwise it halts in ap_idle_loop, taking cross-CPU calls as interrupts.
  (void)kthreads::enter_on_ap();
  ap_idle_loop();
}

}  // namespace kcpus
