// The local APIC of the CPU running the code, as the kernel uses it (xAPIC through uncached
// MMIO, or x2APIC through MSRs; the mode is chosen once on the boot CPU and every AP follows).
// The register logic behind it is pure and host-tested (kernel/arch/x86_64/apic: lapic_device.h,
// lapic_mode.h); this side maps the registers, wires the LINTs from the MADT, reports errors
// and waits on the clock.
//
// Vectors come from the one allocation table, arch::Vector (kernel/arch/x86_64/vectors.h).
#pragma once

#include <cstdint>

#include "acpi/topology.h"
#include "kernel/arch/x86_64/apic/lapic_device.h"
#include "kernel/arch/x86_64/vectors.h"
#include "smp/klib/ids.h"

namespace kinterrupts {

// The LINT0/LINT1 NMI wiring comes from the MADT's Local (x2)APIC NMI entries; a LINT with no
// entry stays masked. A CPU's ACPI processor UID picks its entries; kAllCpus is the UID of a
// CPU whose own UID is unknown (only the "all CPUs" entries apply to it).
inline constexpr std::uint32_t kAllCpus = 0xFFFFFFFF;

// Boot CPU, once, after mm::init (xAPIC registers are mapped with mm::map_mmio) and before any
// other function here (kinterrupts::init calls it). Reads IA32_APIC_BASE: firmware left x2APIC
// on -> stays in it (leaving it is only possible through a disable, which loses state); else
// x2APIC whenever CPUID.1:ECX[21] says so; else xAPIC. Then: spurious vector + software enable
// (SVR), error vector (LVT error, ESR cleared), LINT0/LINT1 from `lint_nmis` for `uid` or
// masked, timer and thermal/perf LVTs masked, TPR 0. `lint_nmis` is the ACPI report's list,
// which lives as long as the kernel: the APs read it too. Panics if the CPU has no APIC or the
// APIC base cannot be mapped. Interrupts off.
void init_boot_cpu(const acpi::Slots<acpi::LapicNmiInfo>& lint_nmis, std::uint32_t uid);

// An AP, after its GDT/IDT and per-CPU block: the same mode as the boot CPU (enables x2APIC
// first when the boot CPU uses it) and the same SVR/LVT set-up, its LINTs from the boot CPU's
// list for `uid` (its ACPI processor UID, or kAllCpus). Interrupts off.
void init_this_cpu(std::uint32_t uid);

// Whether the boot CPU chose x2APIC (valid after init_boot_cpu()).
bool x2apic_mode();

// This CPU's APIC ID from its APIC ID register: 32 bits in x2APIC mode, bits 31:24 in xAPIC.
klib::ApicId current_id();

// End of interrupt for the in-service interrupt on this CPU. Never for the spurious vector.
void eoi();

// A fixed-delivery IPI with `v` to the CPU with `apic_id` (physical destination), edge, assert.
// xAPIC: IDs above 255 cannot be addressed and are reported, nothing is sent.
void send_ipi(klib::ApicId apic_id, arch::Vector v);
// A fixed IPI with `v` to every CPU but this one (destination shorthand 11b).
void send_ipi_all_but_self(arch::Vector v);

// An NMI to `apic_id` (the panic stop: it reaches a CPU with interrupts off). Same addressing
// limits as send_ipi.
void send_nmi(klib::ApicId apic_id);

// INIT to `apic_id`: assert (level-triggered, as the SDM's MP start-up sequence shows), and in
// xAPIC mode the level de-assert that older APICs need; x2APIC has no de-assert (the SDM
// reserves it), so only the assert is sent. Waits for delivery in between (bounded).
void send_init(klib::ApicId apic_id);
// INIT assert to every CPU but this one (destination shorthand "all excluding self"), then a
// bounded wait for delivery. Each receiver goes to wait-for-SIPI; no de-assert (only P6-era and
// older APICs need one, and no CPU of those has long mode). False (reported) if the ICR still showed it pending after 1 ms.
bool send_init_all_but_self();
// STARTUP IPI: the AP starts in real mode at physical page `page` (address page * 4096).
void send_startup(klib::ApicId apic_id, std::uint8_t page);

// xAPIC: waits until the ICR's delivery-status bit is idle or `timeout_ns` passed (TSC time;
// before ktime::init() a 1 GHz assumption, which only lengthens the wait); true when idle.
// x2APIC: no delivery-status bit (the ICR write completes the send): always true.
[[nodiscard]] bool wait_delivery(std::uint64_t timeout_ns);

// The error status register after the required write of 0 (the write latches the errors seen
// since the last write; the read returns them). Clears them for the next call.
std::uint32_t error_status();

// Raw register access for tests and diagnostics (x2APIC: the MSR of the same offset).
// `offset` is the xAPIC MMIO offset (0x20 ID, 0xF0 SVR, ...).
std::uint32_t read_register(std::uint32_t offset);

// How many local APIC error interrupts this CPU has taken, and the last ESR value seen.
std::uint64_t error_interrupts();
std::uint32_t last_error_status();

// The register-level device of the CPU running the code, for kernel code that programs more
// than this file offers (the LAPIC timer in kernel/time). After init_*() on this CPU;
// interrupts off while used (the device is this CPU's).
apic::LocalApicDevice& this_cpu_device();

}  // namespace kinterrupts
