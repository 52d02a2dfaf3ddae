#include "kernel/core/banner.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/console/log.h"
#include "kernel/core/rsdp.h"
#include "kernel/time/clock.h"
#include "kernel/mm/mm.h"

namespace core {
namespace {

// CPUID leaf 0 vendor ("GenuineIntel") and the 48-byte brand string of leaves
// 0x80000002..4, with leading spaces skipped (Intel pads it on the left).
struct CpuName {
  char vendor[13] = {};
  char brand[49] = {};
};

CpuName cpu_name() {
  CpuName n;
  const auto l0 = arch::cpuid(0);
  const std::uint32_t vendor_words[3] = {l0.ebx, l0.edx, l0.ecx};
  __builtin_memcpy(n.vendor, vendor_words, 12);
  if (arch::cpuid(0x80000000).eax >= 0x80000004) {
    std::uint32_t words[12];
    for (std::uint32_t i = 0; i < 3; ++i) {
      const auto r = arch::cpuid(0x80000002 + i);
      words[i * 4 + 0] = r.eax;
      words[i * 4 + 1] = r.ebx;
      words[i * 4 + 2] = r.ecx;
      words[i * 4 + 3] = r.edx;
    }
    __builtin_memcpy(n.brand, words, 48);
  }
  return n;
}

const char* skip_spaces(const char* s) {
  while (*s == ' ') ++s;
  return s;
}

const char* pixel_format_name(boot::PixelFormat f) {
  switch (f) {
    case boot::PixelFormat::kNone: return "none";
    case boot::PixelFormat::kRgbx8: return "RGBX8";
    case boot::PixelFormat::kBgrx8: return "BGRX8";
    case boot::PixelFormat::kBitmask: return "bitmask";
  }
  return "?";
}

}  // namespace

void print_banner(const boot::BootInfo& info, fmt::StringView command_line) {
  klog::info("Pleiades x86-64 kernel");
  const CpuName cpu = cpu_name();
  klog::info("cpu: {} \"{}\"", cpu.vendor, cpu.brand[0] ? skip_spaces(cpu.brand) : "(no brand)");
  klog::info("tsc: {} MHz ({})", ktime::tsc_hz() / 1'000'000,
             ktime::tsc_source_name(ktime::tsc_source()));

  const mm::Stats s = mm::stats();
  klog::info("memory: {} MiB total, {} MiB usable, {} MiB free, {} KiB reclaimed from boot",
             s.total_bytes >> 20, s.usable_bytes >> 20, s.free_bytes >> 20,
             s.reclaimed_bytes >> 10);

  const rsdp::Info acpi = rsdp::read(info.rsdp);
  if (acpi.valid) {
    klog::info("acpi: RSDP at {:#x} revision {} oem \"{}\" RSDT {:#x} XSDT {:#x}", info.rsdp,
               acpi.revision, acpi.oem_id, acpi.rsdt, acpi.xsdt);
  } else {
    klog::warn("acpi: RSDP at {:#x} unusable: {}", info.rsdp, acpi.error);
  }

  const boot::Framebuffer& fb = info.framebuffer;
  if (fb.format == boot::PixelFormat::kNone) {
    klog::info("framebuffer: none");
  } else {
    klog::info("framebuffer: {}x{} stride {} px format {} at {:#x} ({} KiB)", fb.width,
               fb.height, fb.pixels_per_scanline, pixel_format_name(fb.format),
               fb.physical_base, fb.size >> 10);
  }
  klog::info("cmdline: \"{}\"", command_line);
}

}  // namespace core
