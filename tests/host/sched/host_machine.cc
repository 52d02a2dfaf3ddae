#include "host_machine.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "smp/platform/host/platform_host.h"

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif
#if defined(PLEIADES_EXPLORE)
#include "smp/platform/host/explorer.h"
#endif

namespace sched::test {

HostMachine::HostMachine(std::uint32_t cpus)
    : cpus_(cpus), runqueues_(new RunQueue[cpus]), cpu_(new Cpu[cpus]) {
  SchedulerHooks hooks;
  hooks.before_switch = &HostMachine::before_switch;
  hooks.idle_wait = &HostMachine::idle_wait;
  hooks.now_ns = &HostMachine::now_ns;
  hooks.context = this;
  scheduler_ = std::make_unique<Scheduler>(runqueues_.get(), cpus, hooks);
  installed_.emplace(*scheduler_);
  platform::host::set_cpu_count(cpus);
}

HostMachine::~HostMachine() {
  if (booted_ && !stop_.load()) {
    if (!all_exited()) {
      std::fprintf(stderr, "HostMachine destroyed with live threads:\n%s", describe().c_str());
      std::abort();
    }
    shutdown();
  }
#if defined(__SANITIZE_THREAD__)
  for (Record& r : records_) {
    if (r.thread.switch_cookie) __tsan_destroy_fiber(r.thread.switch_cookie);
  }
#endif
}

void HostMachine::boot() {
  for (std::uint32_t c = 0; c < cpus_; ++c) {
    cpu_[c].host = std::thread([this, c] { cpu_main(c); });
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (ready_.load(std::memory_order_acquire) != cpus_) {
    if (std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr, "HostMachine: CPUs did not start within 30 s\n");
      std::abort();
    }
    std::this_thread::yield();
  }
  booted_ = true;
}

void HostMachine::cpu_main(std::uint32_t cpu) {
  platform::host::bind_cpu(platform::CpuNumber{cpu});
  Thread& idle = cpu_[cpu].idle;
#if defined(__SANITIZE_THREAD__)
  idle.switch_cookie = __tsan_get_current_fiber();
#endif
  scheduler_->init_cpu(idle);
  // Release: the driver starts threads only after seeing every runqueue initialised.
  ready_.fetch_add(1, std::memory_order_release);
  scheduler_->idle_loop(&HostMachine::should_stop, this);
}

void HostMachine::explored_cpu(std::uint32_t cpu, const std::function<void()>& setup,
                               std::uint32_t tick_odds) {
  explored_ = true;
  tick_odds_ = tick_odds;
  Thread& idle = cpu_[cpu].idle;
  scheduler_->init_cpu(idle);
  // Relaxed: the explorer runs one CPU at a time and its hand-overs order everything.
  ready_.fetch_add(1, std::memory_order_relaxed);
  if (cpu == 0) {
    while (ready_.load(std::memory_order_relaxed) != cpus_) platform::cpu_relax();
    setup();
    setup_done_ = true;
  }
  scheduler_->idle_loop(&HostMachine::should_stop, this);
}

Thread& HostMachine::create(const ThreadParams& params, std::function<void()> body) {
  Record& r = records_.emplace_back();
  r.stack.reset(new std::byte[kStackBytes]);
  r.body = std::move(body);
#if defined(__SANITIZE_THREAD__)
  r.thread.switch_cookie = __tsan_create_fiber(0);
#endif
  scheduler_->init_thread(r.thread, records_.size(), params, r.stack.get(), kStackBytes,
                          &HostMachine::entry, &r);
  return r.thread;
}

std::uint64_t HostMachine::now_ns(void* self) {
  auto& m = *static_cast<HostMachine*>(self);
  if (m.explored_) return platform::cycles();  // the explorer's virtual clock
  if (m.manual_clock_.load(std::memory_order_relaxed)) {
    return m.manual_ns_.load(std::memory_order_relaxed);
  }
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

void HostMachine::entry(void* record) { static_cast<Record*>(record)->body(); }

void HostMachine::before_switch(Thread* from, Thread* to, void* self) {
  auto& m = *static_cast<HostMachine*>(self);
  if (from == m.slow_thread_.load(std::memory_order_relaxed)) {
    // Release: a test thread that sees the count may act on the half-switched thread.
    m.slow_switches_.fetch_add(1, std::memory_order_release);
    std::this_thread::sleep_for(
        std::chrono::microseconds(m.slow_micros_.load(std::memory_order_relaxed)));
  }
#if defined(__SANITIZE_THREAD__)
  // Flags 0: the switch synchronises (happens-before) the old fiber with the new one, as
  // program order does on one CPU. Cross-CPU ordering still has to come from the scheduler's
  // own atomics and locks, which is what TSan checks.
  __tsan_switch_to_fiber(to->switch_cookie, 0);
#else
  (void)to;
#endif
}

void HostMachine::idle_wait(const std::atomic<bool>&, void* self) {
  auto& m = *static_cast<HostMachine*>(self);
  m.deliver_tick();
  if (m.explored_) {
    platform::cpu_relax();  // a spin point: the other CPUs run
    return;
  }
  // The host's "hlt": give the core to the other host threads (more CPUs than cores).
  std::this_thread::yield();
}

bool HostMachine::should_stop(void* self) {
  auto& m = *static_cast<HostMachine*>(self);
  if (m.explored_) return m.setup_done_ && m.all_exited();
  // Acquire: pairs with the release in shutdown() (nothing is handed over, but it is cheap).
  return m.stop_.load(std::memory_order_acquire);
}

void HostMachine::tick_all() {
  // Relaxed: a request flag; the tick itself synchronises through the runqueue lock.
  for (std::uint32_t c = 0; c < cpus_; ++c) cpu_[c].tick_pending.store(true, std::memory_order_relaxed);
}

void HostMachine::deliver_tick() {
#if defined(PLEIADES_EXPLORE)
  if (explored_) {
    if (platform::host::explore::chance(1, tick_odds_)) scheduler_->tick();
    return;
  }
#endif
  std::uint32_t c = this_cpu();
  if (cpu_[c].tick_pending.exchange(false, std::memory_order_relaxed)) scheduler_->tick();
}

void HostMachine::poll() {
  deliver_tick();
  scheduler_->preempt_point();
}

std::uint32_t HostMachine::this_cpu() { return platform::to_index(platform::current_cpu()); }

bool HostMachine::all_exited() const {
  for (const Record& r : records_) {
    if (r.thread.state.load() != ThreadState::kExited || r.thread.on_cpu.load()) return false;
  }
  return true;
}

void HostMachine::wait_until(const std::function<bool()>& done,
                             const std::function<void()>& driver_step,
                             std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr, "HostMachine: not done after %lld s (a lost wake-up or a hang):\n%s",
                   static_cast<long long>(limit.count()), describe().c_str());
      std::abort();
    }
    if (driver_step) driver_step();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

void HostMachine::shutdown() {
  stop_.store(true, std::memory_order_release);
  for (std::uint32_t c = 0; c < cpus_; ++c) {
    if (cpu_[c].host.joinable()) cpu_[c].host.join();
  }
}

std::string HostMachine::describe() const {
  std::ostringstream out;
  for (const Record& r : records_) {
    out << "  thread " << r.thread.id << " '" << r.thread.name << "': "
        << state_name(r.thread.state.load()) << " cpu "
        << platform::to_index(r.thread.cpu.load()) << " on_cpu " << r.thread.on_cpu.load()
        << " on_rq " << r.thread.on_rq.load() << "\n";
  }
  for (std::uint32_t c = 0; c < cpus_; ++c) {
    CpuLoad l = runqueues_[c].published_load();
    out << "  cpu " << c << ": nr_running " << l.nr_running << " need_resched "
        << runqueues_[c].need_resched.load() << "\n";
  }
  return out.str();
}

}  // namespace sched::test
