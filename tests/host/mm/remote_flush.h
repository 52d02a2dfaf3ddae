// The host tests' Heap::RemoteFlush: what the kernel's cross-CPU call does for an idle CPU, a
// host thread does here. It binds each CPU below `cpus` (but the caller's) in turn and runs
// Heap::flush_this_cpu() there. Only for CPUs whose own threads are not running meanwhile
// (joined, or parked outside the heap): two threads must not play one CPU at once.
#pragma once

#include <cstdint>
#include <thread>

#include "kernel/mm/heap.h"
#include "smp/platform/host/platform_host.h"

namespace mm::test {

// Installs the flush for CPUs 0..cpus-1 on `heap`.
inline void flush_cpus_with_threads(Heap& heap, std::uint32_t cpus) {
  heap.set_remote_flush(
      [](Heap& h, void* context) {
        const auto count = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(context));
        const std::uint32_t self = platform::to_index(platform::current_cpu());
        for (std::uint32_t cpu = 0; cpu < count; ++cpu) {
          if (cpu == self) continue;
          std::thread([&h, cpu] {
            platform::host::bind_cpu(platform::CpuNumber{cpu});
            h.flush_this_cpu();
          }).join();
        }
      },
      reinterpret_cast<void*>(std::uintptr_t{cpus}));
}

}  // namespace mm::test
