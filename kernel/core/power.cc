#include "kernel/core/power.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/console/log.h"
#include "kernel/mm/mm.h"

namespace power {
namespace {

// UEFI specification, EFI_RUNTIME_SERVICES: a 24-byte EFI_TABLE_HEADER, then ten function
// pointers (GetTime .. GetNextHighMonotonicCount) before ResetSystem.
constexpr std::uint64_t kRuntimeServicesSignature = 0x56524553544e5552;  // "RUNTSERV"
constexpr std::size_t kResetSystemOffset = 24 + 10 * 8;

enum class EfiResetType : std::uint32_t { kCold = 0, kWarm = 1, kShutdown = 2 };
using ResetSystemFn = void(__attribute__((ms_abi)) *)(EfiResetType type, std::uint64_t status,
                                                     std::uint64_t data_size, void* data);

constexpr std::uint16_t kQemuDebugExitPort = 0xf4;

std::uint64_t g_runtime_services = 0;

// The firmware's ResetSystem, or null (reported) when the table is missing or malformed.
ResetSystemFn reset_system() {
  if (g_runtime_services == 0) {
    klog::error("power: no EFI runtime services table");
    return nullptr;
  }
  // The table is read through the direct map; the function pointer inside is physical and
  // called through the identity map of the runtime regions.
  const auto* table = mm::phys_to<const std::uint8_t>(g_runtime_services);
  const auto signature = *reinterpret_cast<const std::uint64_t*>(table);
  if (signature != kRuntimeServicesSignature) {
    klog::error("power: EFI runtime services at {:#x} has a bad signature {:#x}",
                g_runtime_services, signature);
    return nullptr;
  }
  const auto fn = *reinterpret_cast<const std::uint64_t*>(table + kResetSystemOffset);
  if (fn == 0) {
    klog::error("power: EFI ResetSystem is null");
    return nullptr;
  }
  return reinterpret_cast<ResetSystemFn>(fn);
}

// force_align_arg_pointer: the Microsoft ABI wants a 16-byte aligned stack at the call, and
// this may be reached from a path (a fault handler) that does not guarantee it.
[[noreturn]] __attribute__((force_align_arg_pointer, noinline)) void reset(EfiResetType type,
                                                                          const char* what) {
  if (ResetSystemFn fn = reset_system()) {
    klog::info("power: {} through EFI ResetSystem", what);
    // Interrupts off: the kernel has no handlers the firmware could rely on.
    arch::cli();
    fn(type, 0, 0, nullptr);
    klog::error("power: EFI ResetSystem returned; {} failed", what);
  }
  klog::error("power: {} failed, halting", what);
  arch::halt_forever();
}

}  // namespace

void set_efi_runtime_services(std::uint64_t physical) { g_runtime_services = physical; }

void power_off() { reset(EfiResetType::kShutdown, "power off"); }
void reboot() { reset(EfiResetType::kCold, "reboot"); }

void qemu_exit(QemuExit code) {
  arch::outl(kQemuDebugExitPort, static_cast<std::uint32_t>(code));
  // Still here: no debug-exit device. Nothing else to do but stop.
  arch::halt_forever();
}

}  // namespace power
