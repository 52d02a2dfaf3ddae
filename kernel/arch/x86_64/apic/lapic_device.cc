#include "kernel/arch/x86_64/apic/lapic_device.h"

namespace apic {

klib::ApicId LocalApicDevice::id() {
  const Reg32 raw = a_.read(Register::kId);
  return klib::ApicId{a_.x2apic() ? raw : XApicId::get(raw)};
}

std::uint8_t LocalApicDevice::version() { return VersionNumber::get(a_.read(Register::kVersion)); }

std::uint32_t LocalApicDevice::lvt_entries() {
  return std::uint32_t{VersionMaxLvt::get(a_.read(Register::kVersion))} + 1;
}

void LocalApicDevice::software_enable(arch::Vector spurious) {
  Reg32 svr = a_.read(Register::kSvr);
  svr = SvrVector::set(svr, arch::vector_number(spurious));
  svr = SvrEnable::set(svr, true);
  svr = SvrFocusDisable::set(svr, true);
  // EOI broadcast suppression off: the IOAPICs' level-triggered entries are re-armed by the
  // broadcast EOI (the kernel sends no directed EOIs), whatever the firmware left here.
  svr = SvrEoiBroadcastSuppression::set(svr, false);
  a_.write(Register::kSvr, svr);
}

bool LocalApicDevice::software_enabled() { return SvrEnable::get(a_.read(Register::kSvr)); }

std::uint8_t LocalApicDevice::spurious_vector() { return SvrVector::get(a_.read(Register::kSvr)); }

void LocalApicDevice::accept_all_priorities() { a_.write(Register::kTpr, 0); }

void LocalApicDevice::mask_lvt(Register lvt) {
  a_.write(lvt, LvtMasked::set(a_.read(lvt), true));
}

void LocalApicDevice::setup_error_vector(arch::Vector v) {
  Reg32 lvt = a_.read(Register::kLvtError);
  lvt = LvtVector::set(lvt, arch::vector_number(v));
  lvt = LvtMasked::set(lvt, false);
  a_.write(Register::kLvtError, lvt);
}

void LocalApicDevice::setup_lint(unsigned lint, const LintSetup& setup) {
  const Register reg = lint == 0 ? Register::kLvtLint0 : Register::kLvtLint1;
  Reg32 lvt = a_.read(reg);
  if (!setup.nmi) {
    a_.write(reg, LvtMasked::set(lvt, true));
    return;
  }
  lvt = LvtDeliveryMode::set(lvt, static_cast<std::uint8_t>(LvtDelivery::kNmi));
  lvt = LvtVector::set(lvt, 0);  // ignored for NMI delivery
  lvt = LvtActiveLow::set(lvt, setup.active_low);
  // The SDM: NMI delivery is always treated as edge-triggered; a level setting is ignored, so
  // write what the firmware said and let the hardware apply its rule.
  lvt = LvtLevelTriggered::set(lvt, setup.level);
  lvt = LvtMasked::set(lvt, false);
  a_.write(reg, lvt);
}

Reg32 LocalApicDevice::read_error_status() {
  a_.write(Register::kEsr, 0);
  return a_.read(Register::kEsr);
}

void LocalApicDevice::eoi() { a_.write(Register::kEoi, 0); }

bool LocalApicDevice::place_destination(Reg64& icr, klib::ApicId dest) const {
  const std::uint32_t raw = klib::to_raw(dest);
  if (a_.x2apic()) {
    icr = IcrX2ApicDestination::set(icr, raw);
    return true;
  }
  if (raw > 0xFF) return false;
  icr = IcrXApicDestination::set(icr, static_cast<std::uint8_t>(raw));
  return true;
}

Reg64 LocalApicDevice::icr_fixed(arch::Vector v) {
  Reg64 icr = IcrVector::make(arch::vector_number(v));
  icr = IcrDeliveryMode::set(icr, static_cast<std::uint8_t>(IcrDelivery::kFixed));
  // Level "assert" for everything but INIT de-assert (the SDM asks for 1 here).
  return IcrLevelAssert::set(icr, true);
}

Reg64 LocalApicDevice::icr_nmi() {
  Reg64 icr = IcrDeliveryMode::make(static_cast<std::uint8_t>(IcrDelivery::kNmi));
  return IcrLevelAssert::set(icr, true);
}

Reg64 LocalApicDevice::icr_init_assert() {
  Reg64 icr = IcrDeliveryMode::make(static_cast<std::uint8_t>(IcrDelivery::kInit));
  icr = IcrLevelAssert::set(icr, true);
  return IcrLevelTriggered::set(icr, true);
}

Reg64 LocalApicDevice::icr_init_deassert() {
  Reg64 icr = IcrDeliveryMode::make(static_cast<std::uint8_t>(IcrDelivery::kInit));
  icr = IcrLevelAssert::set(icr, false);
  return IcrLevelTriggered::set(icr, true);
}

Reg64 LocalApicDevice::icr_startup(std::uint8_t page) {
  Reg64 icr = IcrVector::make(page);  // the vector field carries the start page number
  icr = IcrDeliveryMode::set(icr, static_cast<std::uint8_t>(IcrDelivery::kStartup));
  return IcrLevelAssert::set(icr, true);
}

bool LocalApicDevice::send_fixed(klib::ApicId dest, arch::Vector v) {
  Reg64 icr = icr_fixed(v);
  if (!place_destination(icr, dest)) return false;
  a_.write_icr(icr);
  return true;
}

void LocalApicDevice::send_fixed_all_but_self(arch::Vector v) {
  // The shorthand ignores the destination field: it stays 0.
  a_.write_icr(IcrShorthand::set(icr_fixed(v),
                                 static_cast<std::uint8_t>(IcrDestShorthand::kAllButSelf)));
}

bool LocalApicDevice::send_nmi(klib::ApicId dest) {
  Reg64 icr = icr_nmi();
  if (!place_destination(icr, dest)) return false;
  a_.write_icr(icr);
  return true;
}

bool LocalApicDevice::send_init_assert(klib::ApicId dest) {
  Reg64 icr = icr_init_assert();
  if (!place_destination(icr, dest)) return false;
  a_.write_icr(icr);
  return true;
}

void LocalApicDevice::send_init_all_but_self() {
  a_.write_icr(IcrShorthand::set(icr_init_assert(),
                                 static_cast<std::uint8_t>(IcrDestShorthand::kAllButSelf)));
}

bool LocalApicDevice::send_init_deassert(klib::ApicId dest) {
  if (a_.x2apic()) return false;  // x2APIC does not support INIT level de-assert
  Reg64 icr = icr_init_deassert();
  if (!place_destination(icr, dest)) return false;
  a_.write_icr(icr);
  return true;
}

bool LocalApicDevice::send_startup(klib::ApicId dest, std::uint8_t page) {
  Reg64 icr = icr_startup(page);
  if (!place_destination(icr, dest)) return false;
  a_.write_icr(icr);
  return true;
}

bool LocalApicDevice::delivery_pending() {
  if (a_.x2apic()) return false;
  return IcrDeliveryPending::get(Reg64{a_.read(Register::kIcrLow)});
}

void LocalApicDevice::timer_divide_by_1() {
  Reg32 div = a_.read(Register::kTimerDivide);
  div = (div & ~kTimerDivideMask) | kTimerDivideBy1;  // bit 2 and bits 31:4 are reserved
  a_.write(Register::kTimerDivide, div);
}

void LocalApicDevice::timer_program(arch::Vector v, TimerMode mode) {
  Reg32 lvt = a_.read(Register::kLvtTimer);
  lvt = LvtVector::set(lvt, arch::vector_number(v));
  lvt = LvtTimerMode::set(lvt, static_cast<std::uint8_t>(mode));
  lvt = LvtMasked::set(lvt, false);
  a_.write(Register::kLvtTimer, lvt);
}

void LocalApicDevice::timer_start_one_shot(arch::Vector v, std::uint32_t count) {
  timer_program(v, TimerMode::kOneShot);
  a_.write(Register::kTimerInitialCount, count);
}

void LocalApicDevice::timer_start_periodic(arch::Vector v, std::uint32_t count) {
  timer_program(v, TimerMode::kPeriodic);
  a_.write(Register::kTimerInitialCount, count);
}

void LocalApicDevice::timer_set_tsc_deadline_mode(arch::Vector v) {
  timer_program(v, TimerMode::kTscDeadline);
}

void LocalApicDevice::timer_stop() {
  mask_lvt(Register::kLvtTimer);
  a_.write(Register::kTimerInitialCount, 0);  // a zero count stops a one-shot/periodic timer
}

std::uint32_t LocalApicDevice::timer_current_count() {
  return a_.read(Register::kTimerCurrentCount);
}

}  // namespace apic
