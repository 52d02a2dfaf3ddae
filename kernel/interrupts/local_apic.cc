// local_apic.h: mode choice, the one access backend every CPU uses (each CPU reaches its own
// APIC through the same MMIO page or MSR numbers), per-CPU set-up and the error interrupt.
#include "kernel/interrupts/local_apic.h"

#include <atomic>

#include "kernel/arch/x86_64/apic/hardware_msr.h"
#include "kernel/arch/x86_64/apic/lapic_mode.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/console/log.h"
#include "kernel/core/panic.h"
#include "kernel/interrupts/dispatch.h"
#include "kernel/mm/mm.h"
#include "kernel/time/clock.h"
#include "smp/cpu_set.h"

namespace kinterrupts {
namespace {

using apic::ApicMode;
using apic::LintSetup;
using apic::LocalApicDevice;
using apic::ModePlan;
using apic::Reg64;
using apic::Register;
using arch::Vector;

// CPUID leaf 1 feature bits (SDM Vol. 2A, CPUID).
constexpr std::uint32_t kCpuid1EdxApic = 1u << 9;
constexpr std::uint32_t kCpuid1EcxX2Apic = 1u << 21;

struct PerCpu {
  std::atomic<std::uint64_t> errors{0};
  std::atomic<std::uint32_t> last_esr{0};
};

apic::HardwareMsr g_msr;
constinit apic::XApicMmio g_xapic{nullptr};
constinit apic::X2ApicMsr g_x2apic{g_msr};
constinit LocalApicDevice* g_device = nullptr;
ApicMode g_mode = ApicMode::kXApic;
std::uint64_t g_xapic_phys = 0;
// The MADT's LINT NMI entries, handed in by init_boot_cpu (the ACPI report's storage, which
// lives as long as the kernel); read-only after that.
acpi::Slots<acpi::LapicNmiInfo> g_lint_nmis;

PerCpu g_per_cpu[smp::kMaxCpus];

LocalApicDevice& device() {
  if (g_device == nullptr) panic("apic: used before kinterrupts::init_boot_cpu()");
  return *g_device;
}

PerCpu& this_cpu() {
  // Interrupts are off in every caller (init, the error handler): the CPU cannot change. The
  // bring-up numbers no CPU at or above kMaxCpus (kcpus::bringup::plan_targets refuses and
  // reports the rest), so this check guards the kernel's own invariant, not firmware input.
  const std::uint32_t n = arch::current_cpu_index();
  if (n >= smp::kMaxCpus) panic("apic: CPU number {} beyond smp::kMaxCpus", n);
  return g_per_cpu[n];
}

bool cpu_has_x2apic() { return (arch::cpuid(1).ecx & kCpuid1EcxX2Apic) != 0; }

// Applies a mode plan to IA32_APIC_BASE; panics with the plan's reason when the CPU cannot be
// used (a CPU whose APIC we cannot drive cannot take part in anything).
void apply_mode_plan(const ModePlan& plan, const char* who) {
  if (plan.error != nullptr) panic("apic: {}: {}", who, plan.error);
  for (std::uint32_t i = 0; i < plan.write_count; ++i) {
    g_msr.write(apic::kMsrApicBase, plan.writes[i]);
  }
}

// LINT set-up for this CPU from the MADT's Local (x2)APIC NMI entries that apply to it, read
// from the ACPI report's list (one entry per CPU on many servers: no copy, no cap). Entries
// naming a LINT other than 0 or 1 are firmware garbage (seen on real tables); the boot CPU
// reports them once and every CPU skips them.
void setup_lints(LocalApicDevice& dev, std::uint32_t uid) {
  const acpi::Slots<acpi::LapicNmiInfo>& nmis = g_lint_nmis;
  LintSetup lint[2] = {};
  for (std::uint32_t i = 0; i < nmis.size; ++i) {
    const acpi::LapicNmiInfo& n = nmis[i];
    if (n.lint > 1) continue;
    if (!n.all_cpus && n.uid != uid) continue;
    lint[n.lint] = LintSetup{true, n.polarity == acpi::Polarity::kActiveLow,
                             n.trigger == acpi::Trigger::kLevel};
  }
  dev.setup_lint(0, lint[0]);
  dev.setup_lint(1, lint[1]);
}

std::uint32_t bad_lint_entries() {
  const acpi::Slots<acpi::LapicNmiInfo>& nmis = g_lint_nmis;
  std::uint32_t bad = 0;
  for (std::uint32_t i = 0; i < nmis.size; ++i) bad += nmis[i].lint > 1;
  return bad;
}

void handle_error(arch::InterruptFrame&) {
  const std::uint32_t esr = device().read_error_status();
  PerCpu& cpu = this_cpu();
  const std::uint64_t count = cpu.errors.fetch_add(1, std::memory_order_relaxed) + 1;
  cpu.last_esr.store(esr, std::memory_order_relaxed);
  // The first few per CPU are reported; an error storm must not flood the console.
  if (count <= 4) {
    klog::warn("apic: CPU {} APIC error, ESR {:#x}{}{}{}{}{}{}{}{}", arch::current_cpu_index(),
               esr, (esr & apic::kEsrSendChecksum) ? " send-checksum" : "",
               (esr & apic::kEsrReceiveChecksum) ? " receive-checksum" : "",
               (esr & apic::kEsrSendAccept) ? " send-accept" : "",
               (esr & apic::kEsrReceiveAccept) ? " receive-accept" : "",
               (esr & apic::kEsrRedirectableIpi) ? " redirectable-IPI" : "",
               (esr & apic::kEsrSendIllegalVector) ? " send-illegal-vector" : "",
               (esr & apic::kEsrReceiveIllegalVector) ? " receive-illegal-vector" : "",
               (esr & apic::kEsrIllegalRegister) ? " illegal-register" : "");
  }
}

// What every CPU does once its mode is set: SVR, TPR, every LVT masked but error and the NMI
// LINTs, ESR cleared.
void setup_this_cpu(LocalApicDevice& dev, std::uint32_t uid) {
  const std::uint32_t lvts = dev.lvt_entries();
  dev.timer_stop();
  // LVT entries beyond Max LVT Entry do not exist (reading them in x2APIC mode faults):
  // performance counters are entry 4, thermal entry 5, CMCI entry 6 (SDM "Local Vector Table").
  if (lvts >= 5) dev.mask_lvt(Register::kLvtPerf);
  if (lvts >= 6) dev.mask_lvt(Register::kLvtThermal);
  if (lvts >= 7) dev.mask_lvt(Register::kLvtCmci);
  setup_lints(dev, uid);
  dev.accept_all_priorities();
  dev.software_enable(Vector::kSpurious);
  // Clear errors left from firmware, then unmask the error LVT (two ESR cycles: the first
  // latches what was pending, the second confirms it is clear).
  (void)dev.read_error_status();
  (void)dev.read_error_status();
  dev.setup_error_vector(Vector::kError);
}

}  // namespace

void init_boot_cpu(const acpi::Slots<acpi::LapicNmiInfo>& lint_nmis, std::uint32_t uid) {
  g_lint_nmis = lint_nmis;
  const arch::CpuidResult leaf1 = arch::cpuid(1);
  if (!(leaf1.edx & kCpuid1EdxApic)) panic("apic: CPUID.1:EDX[9]: this CPU has no local APIC");
  const Reg64 base = g_msr.read(apic::kMsrApicBase);
  const ModePlan plan = apic::plan_boot_mode(base, (leaf1.ecx & kCpuid1EcxX2Apic) != 0);
  apply_mode_plan(plan, "boot CPU");
  g_mode = plan.mode;
  if (g_mode == ApicMode::kX2Apic) {
    static LocalApicDevice dev{g_x2apic};
    g_device = &dev;
  } else {
    g_xapic_phys = base & apic::kApicBaseAddressMask;
    auto mapped = mm::map_mmio(g_xapic_phys, apic::kXApicMmioSize);
    if (!mapped.ok()) panic("apic: cannot map the xAPIC page at {:#x}", g_xapic_phys);
    g_xapic = apic::XApicMmio{static_cast<volatile std::uint32_t*>(mapped.value())};
    static LocalApicDevice dev{g_xapic};
    g_device = &dev;
  }
  LocalApicDevice& dev = *g_device;
  install_interrupt_gates();
  set_handler(Vector::kError, handle_error);
  setup_this_cpu(dev, uid);
  klog::info("apic: {} (firmware state: {}{}), ID {}, version {:#x}, {} LVT entries{}",
             apic::apic_mode_name(g_mode),
             plan.firmware_left_x2apic ? "x2APIC on" : (plan.was_disabled ? "disabled" : "xAPIC"),
             cpu_has_x2apic() ? ", x2APIC supported" : "", dev.id(), dev.version(),
             dev.lvt_entries(),
             g_lint_nmis.size != 0 ? ", LINT NMI from MADT" : "");
  if (g_mode == ApicMode::kXApic) klog::info("apic: xAPIC registers at {:#x}", g_xapic_phys);
  if (const std::uint32_t bad = bad_lint_entries()) {
    klog::warn("apic: {} MADT local APIC NMI entries name a LINT other than 0/1; ignored", bad);
  }
}

void init_this_cpu(std::uint32_t uid) {
  const Reg64 base = g_msr.read(apic::kMsrApicBase);
  const ModePlan plan = apic::plan_ap_mode(base, cpu_has_x2apic(), g_mode);
  apply_mode_plan(plan, "AP");
  if (g_mode == ApicMode::kXApic && (base & apic::kApicBaseAddressMask) != g_xapic_phys) {
    // Every CPU's APIC page is at the same physical address unless firmware moved one; our
    // single mapping would then reach the wrong APIC.
    panic("apic: this CPU's APIC base {:#x} differs from the boot CPU's {:#x}",
          base & apic::kApicBaseAddressMask, g_xapic_phys);
  }
  setup_this_cpu(device(), uid);
}

bool x2apic_mode() { return g_mode == ApicMode::kX2Apic; }

klib::ApicId current_id() { return device().id(); }

void eoi() { device().eoi(); }

namespace {
// x2APIC ICR writes (WRMSR) are not serializing, so a store made just before an IPI could still
// sit in the store buffer when the target runs its handler; MFENCE drains it first. xAPIC ICR
// writes are UC stores, which already wait for earlier stores.
void fence_before_ipi() {
  if (g_mode == ApicMode::kX2Apic) asm volatile("mfence" : : : "memory");
}
}  // namespace

void send_ipi(klib::ApicId apic_id, arch::Vector v) {
  fence_before_ipi();
  if (!device().send_fixed(apic_id, v)) {
    klog::error("apic: IPI {:#x} to APIC ID {} not sent: xAPIC addresses 8-bit IDs only",
                arch::vector_number(v), apic_id);
  }
}

void send_nmi(klib::ApicId apic_id) {
  fence_before_ipi();
  if (!device().send_nmi(apic_id)) {
    klog::error("apic: NMI to APIC ID {} not sent: xAPIC addresses 8-bit IDs only", apic_id);
  }
}

void send_ipi_all_but_self(arch::Vector v) {
  fence_before_ipi();
  device().send_fixed_all_but_self(v);
}

namespace {
constexpr std::uint64_t kDeliveryTimeoutNs = 1'000'000;  // 1 ms; delivery takes microseconds
}  // namespace

void send_init(klib::ApicId apic_id) {
  LocalApicDevice& dev = device();
  if (!dev.send_init_assert(apic_id)) {
    klog::error("apic: INIT to APIC ID {} not sent: xAPIC addresses 8-bit IDs only", apic_id);
    return;
  }
  if (!wait_delivery(kDeliveryTimeoutNs)) {
    klog::warn("apic: INIT assert to APIC ID {}: still pending after 1 ms", apic_id);
  }
  if (!dev.x2apic()) {
    // The de-assert: the SDM's MP initialisation sequence sends it; Pentium-era and P6 APICs
    // need it to release the INIT level, later ones ignore it.
    if (dev.send_init_deassert(apic_id) && !wait_delivery(kDeliveryTimeoutNs)) {
      klog::warn("apic: INIT de-assert to APIC ID {}: still pending after 1 ms", apic_id);
    }
  }
}

bool send_init_all_but_self() {
  device().send_init_all_but_self();
  if (wait_delivery(kDeliveryTimeoutNs)) return true;
  klog::warn("apic: INIT to all other CPUs: still pending after 1 ms");
  return false;
}

void send_startup(klib::ApicId apic_id, std::uint8_t page) {
  if (!device().send_startup(apic_id, page)) {
    klog::error("apic: SIPI to APIC ID {} not sent: xAPIC addresses 8-bit IDs only", apic_id);
  }
}

bool wait_delivery(std::uint64_t timeout_ns) {
  LocalApicDevice& dev = device();
  if (dev.x2apic()) return true;
  const std::uint64_t deadline = ktime::now_ns() + timeout_ns;
  // The iteration cap is a safety net for a TSC that does not advance: one poll (a UC read)
  // takes far longer than 1 ns, so the deadline always ends the loop first on a working clock.
  for (std::uint64_t polls = 0; polls <= timeout_ns; ++polls) {
    if (!dev.delivery_pending()) return true;
    if (ktime::now_ns() >= deadline) break;
    arch::pause();
  }
  return !dev.delivery_pending();
}

std::uint32_t error_status() { return device().read_error_status(); }

std::uint32_t read_register(std::uint32_t offset) {
  return device().read(static_cast<Register>(offset));
}

std::uint64_t error_interrupts() { return this_cpu().errors.load(std::memory_order_relaxed); }
std::uint32_t last_error_status() { return this_cpu().last_esr.load(std::memory_order_relaxed); }

apic::LocalApicDevice& this_cpu_device() { return device(); }

}  // namespace kinterrupts
