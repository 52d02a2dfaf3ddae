// On virtual CPUs (platform::virtual_cpus) a ticket lock goes to whichever waiter finds it free:
// a waiter whose CPU the host has stopped cannot hold up the others (smp/locks/ticket_lock.h).
//
// The stopped CPU is played by a thread that spins with interrupts off: the spin-wait service
// (which such a spin calls on every iteration) parks it until the test lets it go. The main
// thread holds the lock, starts that waiter and sees it parked inside its wait, then starts a
// second waiter and releases. In line (fair mode), the parked waiter's turn comes first and the
// second waiter cannot get the lock until it is let go; taken when free, the second gets it.
//
// Taken when free has a bound: a waiter that loses kFreeTries races for the free lock takes a
// ticket. A race is lost in a window of a few instructions (between the waiter seeing the lock
// free and its claim) that no host thread can aim at, so there the rival CPU is played inside
// the waiter's own thread (RivalInTheWindow).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>
#include <thread>

#include "smp/irq_guard.h"
#include "smp/locks/locks.h"
#include "smp/platform/host/platform_host.h"
#include "tests/host/smp/lock_test_support.h"

namespace {

constinit smp::LockClass kVirtualClass{"test-virtual-cpus", smp::LockRank{0}};

struct Parking {
  std::atomic<bool> parked{false};
  std::atomic<bool> let_go{false};
  std::atomic<std::thread::id> stopped_thread{};
};

void park_the_stopped_thread(void* context) {
  auto& p = *static_cast<Parking*>(context);
  if (std::this_thread::get_id() != p.stopped_thread.load()) return;
  p.parked.store(true);
  while (!p.let_go.load()) std::this_thread::yield();
}

// The rival of a waiter that loses every race for the free lock, played in the waiter's thread
// at the two points where it must act. The lock lives alone on a page, read-only from the start
// and again after each release by the rival. A write of the waiter there faults; the fault
// handler makes the page writable and, when the write is a claim of the free lock, first takes
// the lock for the rival, as a rival's claim landing between the waiter's look and its own
// would: the waiter's claim then fails when the handler returns. While the waiter spins (the
// lock looks taken), the spin-wait service releases the rival's hold. For its lifetime the
// object is the SIGSEGV handler and the spin-wait service.
class RivalInTheWindow {
 public:
  // Lost races after which the rival lets the waiter's claim win: a waiter that never takes a
  // ticket ends the test with this count instead of spinning for ever.
  static constexpr int kGiveUpAfter = 1000;

  RivalInTheWindow() {
    page_size_ = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    page_ = mmap(nullptr, page_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page_ == MAP_FAILED) std::abort();
    lock_ = new (page_) smp::raw::TicketLock;
    current_ = this;
    struct sigaction action {};
    action.sa_sigaction = &on_fault;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, &saved_action_);
    rival_holds_ = lock_->try_acquire();
    set_writable(false);
    platform::host::set_spin_wait_service(&on_spin, this);
  }
  ~RivalInTheWindow() {
    platform::host::set_spin_wait_service(nullptr, nullptr);
    sigaction(SIGSEGV, &saved_action_, nullptr);
    current_ = nullptr;
    munmap(page_, page_size_);
  }
  RivalInTheWindow(const RivalInTheWindow&) = delete;
  RivalInTheWindow& operator=(const RivalInTheWindow&) = delete;

  smp::raw::TicketLock& lock() { return *lock_; }
  int lost_races() const { return lost_races_.load(); }
  // Whether the rival released the lock while the waiter held the next ticket.
  bool handed_over_in_line() const { return handed_over_in_line_.load(); }

 private:
  // The spin-wait service: the waiter spins because the rival holds the lock.
  static void on_spin(void* self) {
    auto& r = *static_cast<RivalInTheWindow*>(self);
    if (!r.rival_holds_.load()) return;
    r.set_writable(true);
    if (r.lock_->waiters() == 1) r.handed_over_in_line_.store(true);
    r.rival_holds_.store(false);
    r.lock_->release();
    r.set_writable(false);
  }

  static void on_fault(int, siginfo_t* info, void*) {
    RivalInTheWindow* r = current_;
    const auto* address = static_cast<const char*>(info->si_addr);
    const auto* page = r == nullptr ? nullptr : static_cast<const char*>(r->page_);
    if (r == nullptr || address < page || address >= page + r->page_size_) {
      signal(SIGSEGV, SIG_DFL);  // not ours: the access faults again and the process dies
      return;
    }
    r->set_writable(true);  // the faulting write goes through when the handler returns
    if (!r->lock_->is_locked() && r->lost_races_.load() < kGiveUpAfter &&
        r->lock_->try_acquire()) {
      r->rival_holds_.store(true);
      r->lost_races_.fetch_add(1);
    }
  }

  void set_writable(bool writable) {
    if (mprotect(page_, page_size_, writable ? PROT_READ | PROT_WRITE : PROT_READ) != 0) {
      std::abort();
    }
  }

  static inline RivalInTheWindow* current_ = nullptr;  // for on_fault
  std::size_t page_size_ = 0;
  void* page_ = nullptr;
  smp::raw::TicketLock* lock_ = nullptr;
  struct sigaction saved_action_ {};
  std::atomic<bool> rival_holds_{false};
  std::atomic<int> lost_races_{0};
  std::atomic<bool> handed_over_in_line_{false};
};

class VirtualCpus : public locktest::ViolationRecorder {
 protected:
  void TearDown() override {
    platform::host::set_spin_wait_service(nullptr, nullptr);
    platform::host::set_virtual_cpus(false);
    locktest::ViolationRecorder::TearDown();
  }

  // Whether the second waiter got the lock while the first was parked.
  bool second_waiter_passes_a_stopped_one() {
    smp::TicketSpinLock<smp::IrqSave, kVirtualClass> lock;
    Parking parking;
    platform::host::set_spin_wait_service(park_the_stopped_thread, &parking);
    smp::LockToken held = lock.acquire();
    std::thread stopped([&] {
      platform::host::bind_cpu(platform::CpuNumber{1});
      parking.stopped_thread.store(std::this_thread::get_id());
      smp::Guard guard{lock};
    });
    EXPECT_TRUE(locktest::wait_until([&] { return parking.parked.load(); }));
    std::atomic<bool> second_done{false};
    std::thread second([&] {
      platform::host::bind_cpu(platform::CpuNumber{2});
      smp::Guard guard{lock};
      second_done.store(true);
    });
    lock.release(held);
    // Bounded: in line, the second waiter stays behind the parked one until it is let go.
    const bool passed = locktest::wait_until([&] { return second_done.load(); },
                                             std::chrono::seconds(2));
    parking.let_go.store(true);
    second.join();
    stopped.join();
    return passed;
  }
};

TEST_F(VirtualCpus, AStoppedWaiterDoesNotHoldUpTheOthers) {
  platform::host::set_virtual_cpus(true);
  EXPECT_TRUE(second_waiter_passes_a_stopped_one());
}

// The same schedule in fair mode shows what the mode is for: the lock waits for the parked
// waiter whose turn it is.
TEST_F(VirtualCpus, InLineTheLockWaitsForTheStoppedWaiter) {
  platform::host::set_virtual_cpus(false);
  EXPECT_FALSE(second_waiter_passes_a_stopped_one());
}

// A waiter that loses every race for the free lock still gets it, in bounded steps: after
// kFreeTries lost races it takes a ticket, and the rival's release hands the lock to it. Without
// the bound it would race (and lose) until the rival gives up after kGiveUpAfter.
TEST_F(VirtualCpus, AWaiterThatLosesEveryRaceGetsTheLockInLine) {
  platform::host::set_virtual_cpus(true);
  RivalInTheWindow rival;
  {
    smp::IrqGuard off;  // the spin-wait service runs for a CPU spinning with interrupts off
    rival.lock().acquire();
    rival.lock().release();
  }
  EXPECT_GT(rival.lost_races(), 0) << "the waiter never lost a race: the rival did not act";
  EXPECT_LT(rival.lost_races(), RivalInTheWindow::kGiveUpAfter)
      << "the waiter lost every race for the free lock and never took a ticket "
      << "(the bound on races, kFreeTries, is gone)";
  EXPECT_TRUE(rival.handed_over_in_line())
      << "the lock did not come to the waiter from the rival's release in ticket order";
  EXPECT_FALSE(rival.lock().is_locked());
}

// Taken when free, the lock still excludes: N threads each add to a counter under it.
TEST_F(VirtualCpus, LockStillExcludes) {
  platform::host::set_virtual_cpus(true);
  smp::TicketSpinLock<smp::NoIrqSave, kVirtualClass> lock;
  std::uint64_t counter = 0;  // under the lock
  constexpr int kRounds = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < locktest::kThreads; ++t) {
    threads.emplace_back([&, t] {
      platform::host::bind_cpu(platform::CpuNumber{static_cast<std::uint32_t>(t)});
      for (int i = 0; i < kRounds; ++i) {
        smp::Guard guard{lock};
        counter = counter + 1;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(counter, static_cast<std::uint64_t>(locktest::kThreads) * kRounds);
  EXPECT_EQ(lock.raw().waiters(), 0u);
}

}  // namespace
