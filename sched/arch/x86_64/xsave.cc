#include "sched/arch/x86_64/xsave.h"

namespace sched::arch {
namespace {

void cpuid(std::uint32_t leaf, std::uint32_t sub, std::uint32_t r[4]) {
  asm volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

// Written by the kernel before any thread owns an area; read on every switch of such a thread.
SaveMode g_mode = SaveMode::kUnset;

}  // namespace

void set_save_mode(SaveMode mode) { g_mode = mode; }

SaveMode save_mode() {
  if (g_mode == SaveMode::kUnset) {
    g_mode = xsave_supported() ? SaveMode::kXsave : SaveMode::kFxsave;
  }
  return g_mode;
}

std::uint32_t save_area_size() {
  return save_mode() == SaveMode::kXsave ? xsave_area_size() : 512;
}

void save_state(void* area) {
  if (save_mode() == SaveMode::kFxsave) {
    asm volatile("fxsave64 (%0)" : : "r"(area) : "memory");
  } else {
    xsave(area);
  }
}

void restore_state(const void* area) {
  if (save_mode() == SaveMode::kFxsave) {
    asm volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
  } else {
    xrstor(area);
  }
}

bool xsave_supported() {
  std::uint32_t r[4];
  cpuid(1, 0, r);
  return (r[2] >> 27) & 1;
}

std::uint32_t xsave_area_size() {
  std::uint32_t r[4];
  cpuid(0xD, 0, r);
  return r[1];
}

void xsave_init(void* area, std::uint32_t size) {
  // volatile: the zeroing must not be turned into a memset call (there is no libc in the kernel).
  auto* p = static_cast<volatile std::uint8_t*>(area);
  for (std::uint32_t i = 0; i < size; ++i) p[i] = 0;
  // FCW at offset 0, MXCSR at offset 24 (little endian).
  p[0] = 0x7F;
  p[1] = 0x03;
  p[24] = 0x80;
  p[25] = 0x1F;
}

void xsave(void* area, std::uint64_t mask) {
  auto lo = static_cast<std::uint32_t>(mask);
  auto hi = static_cast<std::uint32_t>(mask >> 32);
  asm volatile("xsave64 (%0)" : : "r"(area), "a"(lo), "d"(hi) : "memory");
}

void xrstor(const void* area, std::uint64_t mask) {
  auto lo = static_cast<std::uint32_t>(mask);
  auto hi = static_cast<std::uint32_t>(mask >> 32);
  asm volatile("xrstor64 (%0)" : : "r"(area), "a"(lo), "d"(hi) : "memory");
}

}  // namespace sched::arch
