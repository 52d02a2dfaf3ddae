#include "kernel/arch/x86_64/apic/io_apic_device.h"

namespace apic {

std::uint32_t IoApicDevice::entry_count() {
  const std::uint32_t count = std::uint32_t{IoApicMaxRedirection::get(version_register())} + 1;
  return count > kIoApicMaxEntries ? kIoApicMaxEntries : count;
}

std::uint64_t IoApicDevice::read_entry(std::uint32_t pin) {
  const std::uint64_t low = w_.read(redirection_low_index(pin));
  const std::uint64_t high = w_.read(redirection_high_index(pin));
  return (high << 32) | low;
}

void IoApicDevice::write_entry(std::uint32_t pin, std::uint64_t value) {
  const auto low = static_cast<std::uint32_t>(value);
  const auto high = static_cast<std::uint32_t>(value >> 32);
  const std::uint32_t masked_low =
      static_cast<std::uint32_t>(RteMasked::set(w_.read(redirection_low_index(pin)), true));
  w_.write(redirection_low_index(pin), masked_low);
  w_.write(redirection_high_index(pin), high);
  w_.write(redirection_low_index(pin), low);
}

std::uint64_t IoApicDevice::encode(const RouteConfig& c) {
  std::uint64_t e = RteVector::make(c.vector);
  e = RteDeliveryMode::set(e, static_cast<std::uint8_t>(RteDelivery::kFixed));
  e = RteLogicalDestination::set(e, false);
  e = RteActiveLow::set(e, c.active_low);
  e = RteLevelTriggered::set(e, c.level);
  e = RteMasked::set(e, c.masked);
  return RteDestination::set(e, static_cast<std::uint8_t>(klib::to_raw(c.apic_id)));
}

bool IoApicDevice::route(std::uint32_t pin, const RouteConfig& config) {
  if (klib::to_raw(config.apic_id) > 0xFF) return false;
  write_entry(pin, encode(config));
  return true;
}

void IoApicDevice::set_masked(std::uint32_t pin, bool masked) {
  const std::uint32_t low = w_.read(redirection_low_index(pin));
  w_.write(redirection_low_index(pin), static_cast<std::uint32_t>(RteMasked::set(low, masked)));
}

}  // namespace apic
