#include "kernel/time/hpet_clock.h"

#include "kernel/mm/mm.h"

namespace ktime {
namespace {

// Register offsets in bytes (HPET specification §2.3.1) and the fields we use.
constexpr std::uint64_t kCapabilities = 0x000;
constexpr std::uint64_t kConfiguration = 0x010;
constexpr std::uint64_t kMainCounter = 0x0F0;
constexpr std::uint64_t kRegisterBlockSize = 0x400;
constexpr unsigned kPeriodShift = 32;                 // capabilities bits 63:32: period in fs
constexpr std::uint64_t kCounter64Bit = 1ull << 13;   // capabilities: COUNT_SIZE_CAP
constexpr std::uint64_t kEnable = 1ull << 0;          // configuration: ENABLE_CNF
constexpr std::uint64_t kMaxPeriodFs = 100'000'000;   // 100 ns, the specification's upper bound
constexpr std::uint64_t kFemtosecondsPerSecond = 1'000'000'000'000'000ull;

}  // namespace

const char* HpetClock::init(std::uint64_t phys) {
  auto mapped = mm::map_mmio(phys, kRegisterBlockSize);
  if (!mapped.ok()) return "cannot map the HPET registers";
  regs_ = static_cast<volatile std::uint64_t*>(mapped.value());
  const std::uint64_t caps = regs_[kCapabilities / 8];
  if (caps == ~0ull) return "HPET capabilities read as all ones (no device)";
  period_fs_ = caps >> kPeriodShift;
  if (period_fs_ == 0 || period_fs_ > kMaxPeriodFs) return "HPET period outside 0..100 ns";
  hz_ = kFemtosecondsPerSecond / period_fs_;
  mask_ = (caps & kCounter64Bit) ? ~0ull : 0xFFFF'FFFFull;
  const std::uint64_t config = regs_[kConfiguration / 8];
  if (!(config & kEnable)) regs_[kConfiguration / 8] = config | kEnable;
  return nullptr;
}

std::uint64_t HpetClock::read() { return regs_[kMainCounter / 8] & mask_; }

}  // namespace ktime
