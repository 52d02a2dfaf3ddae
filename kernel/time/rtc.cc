#include "kernel/time/rtc.h"

#include <atomic>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/console/log.h"
#include "kernel/time/clock.h"

namespace ktime {
namespace {

constexpr std::uint16_t kCmosIndex = 0x70;
constexpr std::uint16_t kCmosData = 0x71;
// Register numbers (MC146818 data sheet). Bit 7 of the index port is the NMI mask: kept clear.
constexpr std::uint8_t kSeconds = 0x00, kMinutes = 0x02, kHours = 0x04, kDay = 0x07,
                       kMonth = 0x08, kYear = 0x09, kStatusA = 0x0A, kStatusB = 0x0B;
constexpr std::uint8_t kUpdateInProgress = 0x80;  // status A
constexpr std::uint8_t kBinaryMode = 0x04;        // status B: values are binary, not BCD
constexpr std::uint8_t k24Hour = 0x02;            // status B
constexpr int kAttempts = 8;
// The update cycle lasts under 2 ms; polls for it at most this many times per attempt.
constexpr int kUpdatePolls = 100000;

std::atomic<std::uint64_t> g_offset_ns{0};  // wall clock - now_ns()

std::uint8_t read_register(std::uint8_t reg) {
  arch::outb(kCmosIndex, reg);
  return arch::inb(kCmosData);
}

struct RtcTime {
  std::uint8_t second, minute, hour, day, month, year;
  bool operator==(const RtcTime&) const = default;
};

bool wait_not_updating() {
  for (int i = 0; i < kUpdatePolls; ++i) {
    if ((read_register(kStatusA) & kUpdateInProgress) == 0) return true;
  }
  return false;
}

RtcTime read_raw() {
  return RtcTime{read_register(kSeconds), read_register(kMinutes), read_register(kHours),
                 read_register(kDay), read_register(kMonth), read_register(kYear)};
}

unsigned from_bcd(std::uint8_t v) { return (v & 0x0F) + (v >> 4) * 10; }

}  // namespace

std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
  year -= month <= 2;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto yoe = static_cast<unsigned>(year - era * 400);
  const unsigned doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool init_wall_clock() {
  // Two equal reads with no update in between: the values belong to one second.
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    if (!wait_not_updating()) break;
    const RtcTime first = read_raw();
    if (!wait_not_updating()) break;
    const RtcTime second = read_raw();
    if (!(first == second)) continue;
    const std::uint8_t status_b = read_register(kStatusB);
    const bool binary = (status_b & kBinaryMode) != 0;
    auto value = [&](std::uint8_t v) { return binary ? static_cast<unsigned>(v) : from_bcd(v); };
    unsigned hour = value(second.hour & 0x7F);
    if ((status_b & k24Hour) == 0) {  // 12-hour mode: bit 7 of the raw hour is PM
      hour %= 12;
      if (second.hour & 0x80) hour += 12;
    }
    const unsigned sec = value(second.second), min = value(second.minute);
    const unsigned day = value(second.day), month = value(second.month);
    const unsigned year = 2000 + value(second.year);  // no century register: assume 20xx
    if (sec > 59 || min > 59 || hour > 23 || day < 1 || day > 31 || month < 1 || month > 12) {
      klog::warn("time: RTC gave {}-{}-{} {}:{}:{}: not a time; wall clock starts at 1970",
                 year, month, day, hour, min, sec);
      return false;
    }
    const std::int64_t days = days_from_civil(year, month, day);
    const std::uint64_t seconds =
        static_cast<std::uint64_t>(days) * 86400 + hour * 3600ull + min * 60ull + sec;
    g_offset_ns.store(seconds * 1'000'000'000ull - now_ns(), std::memory_order_relaxed);
    klog::info("time: RTC {:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC", year, month, day, hour, min,
               sec);
    return true;
  }
  klog::warn("time: the RTC did not give a stable time; wall clock starts at 1970");
  return false;
}

std::uint64_t realtime_ns() { return now_ns() + realtime_offset_ns(); }

std::uint64_t realtime_offset_ns() { return g_offset_ns.load(std::memory_order_relaxed); }

}  // namespace ktime
