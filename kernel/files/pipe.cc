#include "kernel/files/pipe.h"

#include <atomic>
#include <new>

#include "kernel/arch/x86_64/user_copy.h"
#include "kernel/files/poll_wait.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal.h"
#include "kernel/threads/kernel_scheduler.h"
#include "kernel/time/rtc.h"
#include "sched/sync/mutex.h"
#include "sched/wait_queue.h"
#include "smp/atomic.h"

namespace kfiles {
namespace {

constexpr std::int64_t kEINTR = 4, kEAGAIN = 11, kEFAULT = 14, kEPIPE = 32;
std::atomic<std::uint64_t> g_live_pipes{0};

// A signal or the end of the process interrupts a blocked read or write.
bool process_ending() {
  const kproc::UserThread* t = kproc::current_user_thread();
  return t != nullptr && kproc::interrupted(*t);
}

std::int64_t interrupted_result() {
  const kproc::UserThread* t = kproc::current_user_thread();
  return t != nullptr ? kproc::interrupted_result(*t) : -kEINTR;
}

class Pipe {
 public:
  Pipe() { g_live_pipes.fetch_add(1, std::memory_order_relaxed); }
  ~Pipe() {
    delete[] ring_;
    g_live_pipes.fetch_sub(1, std::memory_order_relaxed);
  }
  bool allocate() {
    ring_ = new (std::nothrow) std::uint8_t[kPipeCapacity];
    return ring_ != nullptr;
  }

  std::int64_t read(std::uint64_t buffer, std::uint64_t length, bool nonblock) {
    if (length == 0) return 0;
    for (;;) {
      {
        sched::MutexGuard g(lock_);
        const std::uint64_t count = count_.load(std::memory_order_relaxed);
        if (count > 0) {
          const std::uint64_t n = length < count ? length : count;
          // At most two pieces: up to the end of the ring, then from its start.
          const std::uint64_t first = n < kPipeCapacity - head_ ? n : kPipeCapacity - head_;
          if (!arch::copy_to_user(buffer, ring_ + head_, first) ||
              !arch::copy_to_user(buffer + first, ring_, n - first)) {
            return -kEFAULT;  // nothing consumed
          }
          head_ = (head_ + n) % kPipeCapacity;
          count_.store(count - n, std::memory_order_release);
          wake_writers();
          return static_cast<std::int64_t>(n);
        }
        if (writers_.load(std::memory_order_acquire) == 0) return 0;  // end of file
      }
      if (nonblock) return -kEAGAIN;
      readable_.wait(kthreads::scheduler(), [&] {
        return count_.load(std::memory_order_acquire) > 0 ||
               writers_.load(std::memory_order_acquire) == 0 || process_ending();
      });
      if (process_ending()) return interrupted_result();
    }
  }

  std::int64_t write(std::uint64_t buffer, std::uint64_t length, bool nonblock) {
    if (length == 0) return 0;
    const bool atomic = length <= kPipeBuf;
    std::uint64_t done = 0;
    for (;;) {
      {
        sched::MutexGuard g(lock_);
        if (readers_.load(std::memory_order_acquire) == 0) {
          return done != 0 ? static_cast<std::int64_t>(done) : -kEPIPE;
        }
        const std::uint64_t count = count_.load(std::memory_order_relaxed);
        const std::uint64_t space = kPipeCapacity - count;
        const std::uint64_t need = atomic ? length : 1;
        if (space >= need) {
          const std::uint64_t want = length - done;
          const std::uint64_t n = want < space ? want : space;
          const std::uint64_t tail = (head_ + count) % kPipeCapacity;
          const std::uint64_t first = n < kPipeCapacity - tail ? n : kPipeCapacity - tail;
          if (!arch::copy_from_user(ring_ + tail, buffer + done, first) ||
              !arch::copy_from_user(ring_, buffer + done + first, n - first)) {
            return done != 0 ? static_cast<std::int64_t>(done) : -kEFAULT;
          }
          count_.store(count + n, std::memory_order_release);
          done += n;
          wake_readers();
          if (done == length) return static_cast<std::int64_t>(done);
          continue;
        }
      }
      if (nonblock) return done != 0 ? static_cast<std::int64_t>(done) : -kEAGAIN;
      const std::uint64_t need = atomic ? length : 1;
      writable_.wait(kthreads::scheduler(), [&] {
        return kPipeCapacity - count_.load(std::memory_order_acquire) >= need ||
               readers_.load(std::memory_order_acquire) == 0 || process_ending();
      });
      if (process_ending()) return done != 0 ? static_cast<std::int64_t>(done) : interrupted_result();
    }
  }

  std::uint32_t read_events() const {
    std::uint32_t e = 0;
    if (count_.load(std::memory_order_acquire) > 0) e |= kPollIn | kPollRdNorm;
    if (writers_.load(std::memory_order_acquire) == 0) e |= kPollHup;
    return e;
  }
  std::uint32_t write_events() const {
    if (readers_.load(std::memory_order_acquire) == 0) return kPollErr;
    return kPipeCapacity - count_.load(std::memory_order_acquire) >= kPipeBuf
               ? kPollOut | kPollWrNorm
               : 0;
  }
  std::uint64_t available() const { return count_.load(std::memory_order_acquire); }

  // An end goes; the pipe goes with the second.
  void close_reader() {
    readers_.fetch_sub(1);
    wake_writers();
    drop();
  }
  void close_writer() {
    writers_.fetch_sub(1);
    wake_readers();
    drop();
  }

 private:
  void wake_readers() {
    (void)readable_.wake_all(kthreads::scheduler());
    notify_poll();
  }
  void wake_writers() {
    (void)writable_.wake_all(kthreads::scheduler());
    notify_poll();
  }
  void drop() {
    if (ends_.fetch_sub(1) == 1) delete this;
  }

  sched::Mutex lock_;             // the ring and head_; held across the user copies
  std::uint8_t* ring_ = nullptr;
  std::uint64_t head_ = 0;        // lock_
  smp::Atomic<std::uint64_t> count_{0};  // written under lock_, read by the wait conditions
  smp::Atomic<std::uint32_t> readers_{1};
  smp::Atomic<std::uint32_t> writers_{1};
  smp::Atomic<std::uint32_t> ends_{2};
  sched::WaitQueue readable_;
  sched::WaitQueue writable_;
};

FileStat pipe_stat(std::uint64_t size) {
  FileStat s;
  s.dev = 0xc;  // pipefs, a device of its own as on Linux
  s.mode = 0010000 | 0600;
  s.size = size;
  return s;
}

class PipeReadFile final : public File {
 public:
  PipeReadFile(Pipe* p, std::uint32_t flags) : File((flags & ~kAccessMode) | kReadOnly), pipe_(p) {}
  ~PipeReadFile() override { pipe_->close_reader(); }
  std::int64_t read(std::uint64_t buffer, std::uint64_t length, std::uint64_t*) override {
    return pipe_->read(buffer, length, (flags() & kNonblock) != 0);
  }
  std::int64_t write(std::uint64_t, std::uint64_t, std::uint64_t*) override { return -9; }
  std::int64_t ioctl(std::uint64_t command, std::uint64_t argument) override {
    constexpr std::uint64_t kFionread = 0x541B;
    if (command != kFionread) return -25;
    const auto n = static_cast<std::int32_t>(pipe_->available());
    return arch::copy_to_user(argument, &n, sizeof(n)) ? 0 : -kEFAULT;
  }
  FileStat stat() override { return pipe_stat(pipe_->available()); }
  std::uint32_t poll_events() override { return pipe_->read_events(); }

 private:
  Pipe* pipe_;
};

class PipeWriteFile final : public File {
 public:
  PipeWriteFile(Pipe* p, std::uint32_t flags) : File((flags & ~kAccessMode) | kWriteOnly), pipe_(p) {}
  ~PipeWriteFile() override { pipe_->close_writer(); }
  std::int64_t read(std::uint64_t, std::uint64_t, std::uint64_t*) override { return -9; }
  std::int64_t write(std::uint64_t buffer, std::uint64_t length, std::uint64_t*) override {
    return pipe_->write(buffer, length, (flags() & kNonblock) != 0);
  }
  FileStat stat() override { return pipe_stat(pipe_->available()); }
  std::uint32_t poll_events() override { return pipe_->write_events(); }

 private:
  Pipe* pipe_;
};

}  // namespace

bool make_pipe(std::uint32_t flags, File** read_end, File** write_end) {
  auto* p = new (std::nothrow) Pipe;
  if (p == nullptr) return false;
  if (!p->allocate()) {
    delete p;
    return false;
  }
  auto* r = new (std::nothrow) PipeReadFile(p, flags);
  if (r == nullptr) {
    delete p;
    return false;
  }
  auto* w = new (std::nothrow) PipeWriteFile(p, flags);
  if (w == nullptr) {
    r->put();  // closes the read end; the pipe keeps its write end's count until...
    p->close_writer();  // ...this drops the second end, which frees it
    return false;
  }
  *read_end = r;
  *write_end = w;
  return true;
}

std::uint64_t live_pipes() { return g_live_pipes.load(std::memory_order_relaxed); }

}  // namespace kfiles
