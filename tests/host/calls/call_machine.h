// CallMachine: N host CPUs running the cross-CPU call service (smp/calls/) for tests (and the
// interleaving explorer): owns the per-CPU state and the CallService, installs the IPI handlers
// (host::set_ipi_handler) and the spin-wait service, and runs "poller" threads that play CPUs
// which only take interrupts (an idle CPU with interrupts on).
//
//   CallMachine m(4);            // CPUs 0..3; handlers installed
//   m.start_poller(1);           // a thread bound to CPU 1: poll_interrupts() until stopped
//   platform::host::bind_cpu(platform::CpuNumber{0});   // this thread plays CPU 0
//   auto r = m.service().call_on_cpu(platform::CpuNumber{1}, fn, {}, smp::CallMode::kSync);
//
// A CPU number is played by one thread at a time: stop_poller(c) before another thread binds
// to c (the hand-off is a join, so it orders everything the two did).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

#include "smp/calls/call_service.h"

namespace callstest {

class CallMachine {
 public:
  explicit CallMachine(std::uint32_t cpus);
  ~CallMachine();
  CallMachine(const CallMachine&) = delete;
  CallMachine& operator=(const CallMachine&) = delete;

  smp::CallService& service() { return *service_; }
  std::uint32_t cpus() const { return count_; }

  // Starts a thread that plays `cpu` with interrupts enabled and takes its IPIs until
  // stop_poller(cpu). At most one per CPU.
  void start_poller(std::uint32_t cpu);
  // Stops and joins the poller of `cpu` (nothing when there is none).
  void stop_poller(std::uint32_t cpu);

 private:
  struct Poller {
    std::atomic<bool> stop{false};
    std::thread thread;
  };

  std::uint32_t count_;
  std::unique_ptr<smp::CpuCalls[]> cpus_;
  std::unique_ptr<smp::CallService> service_;
  std::unique_ptr<Poller[]> pollers_;
};

}  // namespace callstest
