#include "kernel/interrupts/io_apic.h"

#include <new>

#include "kernel/arch/x86_64/apic/io_apic_device.h"
#include "kernel/arch/x86_64/apic/irq_lock.h"
#include "kernel/arch/x86_64/apic/isa_routing.h"
#include "kernel/arch/x86_64/apic/legacy_pic.h"
#include "kernel/console/log.h"
#include "kernel/mm/mm.h"

namespace kinterrupts {
namespace {

using apic::GsiSetup;
using apic::IrqLockGuard;
using apic::RouteConfig;

struct IoApic {
  IoApic(volatile std::uint32_t* base, const acpi::IoApicInfo& info)
      : mmio(base), device(mmio), id(info.id), gsi_base(info.gsi_base) {}
  apic::IoApicMmio mmio;
  apic::IoApicDevice device;
  apic::IrqLock lock;  // guards every device call: select + window
  std::uint8_t id;
  std::uint32_t gsi_base;
  std::uint32_t gsi_count = 0;
};

IoApic** g_ioapics = nullptr;
std::uint32_t g_count = 0;
// The MADT's interrupt source overrides, handed in by io_apic_init (the ACPI report's storage,
// which lives as long as the kernel); read-only after that.
acpi::Slots<acpi::InterruptOverride> g_overrides;

struct Found {
  IoApic* io;
  std::uint32_t pin;
};

Found find(std::uint32_t gsi) {
  for (std::uint32_t i = 0; i < g_count; ++i) {
    IoApic* io = g_ioapics[i];
    if (gsi >= io->gsi_base && gsi - io->gsi_base < io->gsi_count) return {io, gsi - io->gsi_base};
  }
  return {nullptr, 0};
}

}  // namespace

std::uint32_t io_apic_init(const acpi::Topology& t) {
  apic::pic_remap_and_mask();
  g_overrides = t.overrides;
  if (t.ioapics.size == 0) {
    klog::warn("ioapic: none in the MADT; device interrupts unavailable");
    return 0;
  }
  g_ioapics = new (std::nothrow) IoApic*[t.ioapics.size];
  if (g_ioapics == nullptr) {
    klog::error("ioapic: no memory for {} IOAPICs", t.ioapics.size);
    return 0;
  }
  for (std::uint32_t i = 0; i < t.ioapics.size; ++i) {
    const acpi::IoApicInfo& info = t.ioapics[i];
    auto mapped = mm::map_mmio(info.address, apic::kIoApicMmioSize);
    if (!mapped.ok()) {
      klog::error("ioapic: id {} at {:#x}: cannot map; skipped", info.id, info.address);
      continue;
    }
    auto* io = new (std::nothrow) IoApic(static_cast<volatile std::uint32_t*>(mapped.value()), info);
    if (io == nullptr) {
      klog::error("ioapic: id {}: no memory; skipped", info.id);
      continue;
    }
    std::uint32_t version;
    {
      IrqLockGuard guard(io->lock);
      version = io->device.version_register();
      io->gsi_count = io->device.entry_count();
      for (std::uint32_t pin = 0; pin < io->gsi_count; ++pin) io->device.set_masked(pin, true);
    }
    g_ioapics[g_count++] = io;
    klog::info("ioapic: id {} at {:#x}, GSI {}..{}, version {:#x}", info.id, info.address,
               io->gsi_base, io->gsi_base + io->gsi_count - 1, apic::IoApicVersion::get(version));
  }
  return g_count;
}

bool route_gsi(std::uint32_t gsi, arch::Vector v, klib::ApicId apic_id, bool masked) {
  const Found f = find(gsi);
  if (f.io == nullptr) return false;
  const GsiSetup setup = apic::resolve_gsi(gsi, g_overrides.data, g_overrides.size);
  const RouteConfig config{arch::vector_number(v), apic_id, setup.active_low, setup.level, masked};
  IrqLockGuard guard(f.io->lock);
  return f.io->device.route(f.pin, config);
}

bool route_isa_irq(std::uint8_t irq, arch::Vector v, klib::ApicId apic_id,
                   std::uint32_t* gsi_out) {
  const GsiSetup setup = apic::resolve_isa_irq(irq, g_overrides.data, g_overrides.size);
  if (gsi_out != nullptr) *gsi_out = setup.gsi;
  const Found f = find(setup.gsi);
  if (f.io == nullptr) return false;
  const RouteConfig config{arch::vector_number(v), apic_id, setup.active_low, setup.level, false};
  IrqLockGuard guard(f.io->lock);
  return f.io->device.route(f.pin, config);
}

std::uint32_t isa_irq_gsi(std::uint8_t irq) {
  return apic::resolve_isa_irq(irq, g_overrides.data, g_overrides.size).gsi;
}

bool mask_gsi(std::uint32_t gsi) {
  const Found f = find(gsi);
  if (f.io == nullptr) return false;
  IrqLockGuard guard(f.io->lock);
  f.io->device.set_masked(f.pin, true);
  return true;
}

bool unmask_gsi(std::uint32_t gsi) {
  const Found f = find(gsi);
  if (f.io == nullptr) return false;
  IrqLockGuard guard(f.io->lock);
  f.io->device.set_masked(f.pin, false);
  return true;
}

bool read_gsi_entry(std::uint32_t gsi, std::uint64_t& entry) {
  const Found f = find(gsi);
  if (f.io == nullptr) return false;
  IrqLockGuard guard(f.io->lock);
  entry = f.io->device.read_entry(f.pin);
  return true;
}

std::uint32_t io_apic_count() { return g_count; }

std::uint32_t io_apic_gsi_total() {
  std::uint32_t total = 0;
  for (std::uint32_t i = 0; i < g_count; ++i) total += g_ioapics[i]->gsi_count;
  return total;
}

}  // namespace kinterrupts
