// Ending the kernel: power off or reboot through UEFI runtime services, or leave QEMU
// through its isa-debug-exit device (test runs).
#pragma once

#include <cstdint>

namespace power {

// Records the EFI_RUNTIME_SERVICES table (physical, from BootInfo; 0 if none). The table and
// the runtime code must be identity mapped when power_off()/reboot() are called, as the
// kernel's page tables do after mm::init (kernel/mm/mm.h).
void set_efi_runtime_services(std::uint64_t physical);

// ResetSystem(EfiResetShutdown / EfiResetCold). If the firmware returns (or there is no
// runtime services table), reports the failure and halts.
[[noreturn]] void power_off();
[[noreturn]] void reboot();

// QEMU's isa-debug-exit device at I/O port 0xf4 (-device isa-debug-exit,iobase=0xf4): a
// write of v makes QEMU exit with status (v << 1) | 1. Without the device the write does
// nothing, so the CPU then halts.
enum class QemuExit : std::uint32_t { kSuccess = 0, kFailure = 1 };  // status 1 / 3
[[noreturn]] void qemu_exit(QemuExit code);

}  // namespace power
