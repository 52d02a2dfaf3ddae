// struct rusage as Linux x86-64 lays it out (getrusage, wait4, waitid): the user and system
// times, then the fourteen counters this kernel does not keep (zero).
#pragma once

#include <cstdint>

namespace ksys {

struct Rusage {
  std::int64_t user_seconds, user_microseconds;
  std::int64_t system_seconds, system_microseconds;
  std::int64_t counters[14];  // maxrss .. nivcsw
};
static_assert(sizeof(Rusage) == 144);

// The rusage for `user_ns` and `system_ns` of CPU time.
constexpr Rusage make_rusage(std::uint64_t user_ns, std::uint64_t system_ns) {
  Rusage r{};
  r.user_seconds = static_cast<std::int64_t>(user_ns / 1'000'000'000);
  r.user_microseconds = static_cast<std::int64_t>(user_ns % 1'000'000'000 / 1000);
  r.system_seconds = static_cast<std::int64_t>(system_ns / 1'000'000'000);
  r.system_microseconds = static_cast<std::int64_t>(system_ns % 1'000'000'000 / 1000);
  return r;
}

}  // namespace ksys
