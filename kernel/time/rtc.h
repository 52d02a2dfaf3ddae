// The wall clock: the CMOS real-time clock (MC146818-compatible, ports 0x70/0x71) read once at
// boot, then carried forward by the monotonic clock (clock.h). CLOCK_REALTIME and
// gettimeofday read it. A PC whose RTC does not answer sensibly starts at the Unix epoch and
// says so.
#pragma once

#include <cstdint>

namespace ktime {

// Reads the RTC (bounded: the update-in-progress wait and the read-twice check give up after
// a few attempts) and fixes the wall-clock offset. Boot CPU, after init(). Returns false when
// the RTC gave no valid time; the wall clock then starts at 0.
bool init_wall_clock();

// Nanoseconds since 1970-01-01 00:00:00 UTC (assuming the RTC keeps UTC, as Linux does by
// default on PCs).
std::uint64_t realtime_ns();
// realtime_ns() - now_ns() (mod 2^64): what the vvar page publishes (kernel/vdso).
std::uint64_t realtime_offset_ns();

// Days since 1970-01-01 of a civil date (proleptic Gregorian; H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day);

}  // namespace ktime
