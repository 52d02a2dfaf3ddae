#include "call_machine.h"

#include "smp/platform/host/host_ipi.h"
#include "smp/platform/host/platform_host.h"

namespace callstest {
namespace {

// The kernel's IPI handler body (kernel/cpus/ipi/call_function.cc) and its spin-wait service.
void serve_handler(void* service) { static_cast<smp::CallService*>(service)->serve(); }

}  // namespace

CallMachine::CallMachine(std::uint32_t cpus)
    : count_(cpus),
      cpus_(new smp::CpuCalls[cpus]),
      service_(new smp::CallService(cpus_.get(), cpus)),
      pollers_(new Poller[cpus]) {
  platform::host::set_cpu_count(cpus);
  platform::host::reset_ipis();
  platform::host::clear_tlb_flushes();
  platform::host::set_ipi_handler(platform::IpiKind::kCallFunction, serve_handler, service_.get());
  platform::host::set_ipi_handler(platform::IpiKind::kTlbShootdown, serve_handler, service_.get());
  platform::host::set_spin_wait_service(serve_handler, service_.get());
}

CallMachine::~CallMachine() {
  for (std::uint32_t c = 0; c < count_; ++c) stop_poller(c);
  platform::host::set_spin_wait_service(nullptr, nullptr);
  platform::host::set_ipi_handler(platform::IpiKind::kCallFunction, nullptr, nullptr);
  platform::host::set_ipi_handler(platform::IpiKind::kTlbShootdown, nullptr, nullptr);
  platform::host::reset_ipis();
  platform::host::bind_cpu(platform::CpuNumber{0});
}

void CallMachine::start_poller(std::uint32_t cpu) {
  Poller& p = pollers_[cpu];
  p.stop.store(false, std::memory_order_relaxed);
  p.thread = std::thread([&p, cpu] {
    platform::host::bind_cpu(platform::CpuNumber{cpu});
    while (!p.stop.load(std::memory_order_acquire)) {
      if (platform::host::poll_interrupts() == 0) std::this_thread::yield();
    }
    // Whatever arrived after the last poll is still pending for the next player of `cpu`.
  });
}

void CallMachine::stop_poller(std::uint32_t cpu) {
  Poller& p = pollers_[cpu];
  if (!p.thread.joinable()) return;
  p.stop.store(true, std::memory_order_release);
  p.thread.join();
}

}  // namespace callstest
