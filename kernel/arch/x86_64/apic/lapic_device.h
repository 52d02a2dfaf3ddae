// The local APIC's register logic over an access backend (lapic_access.h): SVR, LVTs, ESR, EOI,
// the ICR encodings for fixed/INIT/STARTUP IPIs and the timer. Pure: no globals, no
// instructions, so tests/host/apic checks every value it writes in both modes.
#pragma once

#include <cstdint>

#include "kernel/arch/x86_64/apic/lapic_access.h"
#include "kernel/arch/x86_64/vectors.h"
#include "smp/klib/ids.h"

namespace apic {

// How one LINT pin is set up: masked, or an NMI input with the MADT's polarity and trigger.
struct LintSetup {
  bool nmi = false;
  bool active_low = false;
  bool level = false;
};

class LocalApicDevice {
 public:
  explicit LocalApicDevice(LapicAccess& access) : a_(access) {}

  bool x2apic() const { return a_.x2apic(); }

  // The APIC ID register: 32 bits (x2APIC) or bits 31:24 (xAPIC).
  klib::ApicId id();
  std::uint8_t version();
  // Number of LVT entries (Max LVT Entry + 1): 4..7, says whether thermal/perf/CMCI exist.
  std::uint32_t lvt_entries();

  // SVR: spurious vector `spurious`, software-enable set, focus checking off, EOI broadcast
  // suppression off. Every write here is a read-modify-write of the defined fields: reserved
  // bits keep what was read in xAPIC mode and are written as 0 in x2APIC mode (the backend
  // drops them, lapic_access.h), as the SDM asks for each mode.
  void software_enable(arch::Vector spurious);
  bool software_enabled();
  std::uint8_t spurious_vector();

  // TPR = 0: accept every priority class.
  void accept_all_priorities();

  // Sets the mask bit of an LVT entry, keeping every other field.
  void mask_lvt(Register lvt);
  // LVT error: fixed delivery of `v`, unmasked.
  void setup_error_vector(arch::Vector v);
  // LINT0/LINT1 (`lint` 0 or 1): NMI with the given polarity/trigger, or masked.
  void setup_lint(unsigned lint, const LintSetup& setup);

  // Reads the ESR the way the SDM asks: write (0) first, which latches the errors since the
  // last write; then read. In x2APIC mode the ESR MSR must be written with 0 as well (a
  // non-zero write faults).
  Reg32 read_error_status();

  // End of interrupt: a write of 0 (x2APIC faults on a non-zero EOI write).
  void eoi();

  // ICR values (the destination placed for this mode). Returns false, sending nothing, when
  // `dest` does not fit (xAPIC: above 255).
  [[nodiscard]] bool send_fixed(klib::ApicId dest, arch::Vector v);
  void send_fixed_all_but_self(arch::Vector v);
  // Delivery mode NMI (the vector field is ignored): reaches a CPU with interrupts off.
  [[nodiscard]] bool send_nmi(klib::ApicId dest);
  [[nodiscard]] bool send_init_assert(klib::ApicId dest);
  [[nodiscard]] bool send_init_deassert(klib::ApicId dest);  // xAPIC only (false in x2APIC)
  // INIT assert (level-triggered) to every CPU but this one (destination shorthand 11b).
  void send_init_all_but_self();
  [[nodiscard]] bool send_startup(klib::ApicId dest, std::uint8_t page);
  // xAPIC: the ICR's delivery-status bit (send pending). x2APIC: always false (no such bit).
  bool delivery_pending();

  // Timer: divide by 1, then one of the modes. start_* writes the LVT before the initial count
  // (the count write starts the timer). stop_timer masks the LVT and zeroes the count.
  void timer_divide_by_1();
  void timer_start_one_shot(arch::Vector v, std::uint32_t count);
  void timer_start_periodic(arch::Vector v, std::uint32_t count);
  // TSC-deadline mode: LVT in mode 10b; the caller then writes IA32_TSC_DEADLINE.
  void timer_set_tsc_deadline_mode(arch::Vector v);
  void timer_stop();
  std::uint32_t timer_current_count();

  Reg32 read(Register r) { return a_.read(r); }
  LapicAccess& access() { return a_; }

  // The ICR encodings, exposed for tests.
  static Reg64 icr_fixed(arch::Vector v);
  static Reg64 icr_init_assert();
  static Reg64 icr_nmi();
  static Reg64 icr_init_deassert();
  static Reg64 icr_startup(std::uint8_t page);

 private:
  bool place_destination(Reg64& icr, klib::ApicId dest) const;
  void timer_program(arch::Vector v, TimerMode mode);

  LapicAccess& a_;
};

}  // namespace apic
