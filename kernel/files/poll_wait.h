// How poll and select sleep: one kernel-wide readiness counter and wait queue. Every change that
// can make a file readable or writable (data into or out of a pipe, an end closed) bumps the
// counter and wakes the queue; a poller sleeps until the counter moves past what it saw when it
// last checked its files, so a change between its check and its sleep is never missed. Simple
// and correct on many CPUs; it wakes every poller for every change (fine for a shell; a
// per-file waiter list is the scalable form).
#pragma once

#include <cstdint>

namespace kfiles {

// The counter's value now (read before checking the files).
std::uint64_t poll_generation();
// A readiness change happened: bump and wake the pollers.
void notify_poll();
// Sleeps until the counter differs from `seen`, `deadline_ns` (monotonic; ~0: none) passes,
// or `interrupted()` (checked on every wake-up) becomes true. Returns false on the deadline.
bool wait_poll(std::uint64_t seen, std::uint64_t deadline_ns, bool (*interrupted)(void*), void* arg);

}  // namespace kfiles
