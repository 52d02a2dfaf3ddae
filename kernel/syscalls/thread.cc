// Threads and processes: clone (threads of the calling process, a vfork-style child, or a
// fork-style one with a copy-on-write address space) and futex.
#include <new>

#include "kernel/arch/x86_64/user_copy.h"
#include "kernel/arch/x86_64/user_mode.h"
#include "kernel/console/log.h"
#include "kernel/proc/futex.h"
#include "kernel/proc/process.h"
#include "kernel/syscalls/handlers.h"
#include "kernel/threads/kernel_scheduler.h"
#include "kernel/time/clock.h"
#include "kernel/time/rtc.h"

namespace ksys {
namespace {

using namespace kabi;

constexpr std::uint64_t kCloneVm = 0x100, kCloneFs = 0x200, kCloneFiles = 0x400,
                        kCloneSighand = 0x800, kClonePidfd = 0x1000, kCloneVfork = 0x4000,
                        kCloneThread = 0x10000, kCloneNewns = 0x20000, kCloneSysvsem = 0x40000,
                        kCloneSettls = 0x80000, kCloneParentSettid = 0x100000,
                        kCloneChildCleartid = 0x200000, kCloneDetached = 0x400000,
                        kCloneChildSettid = 0x1000000;
// Flags a thread may pass: sharing what a thread shares anyway, and the TID/TLS bookkeeping.
constexpr std::uint64_t kThreadFlags = kCloneVm | kCloneFs | kCloneFiles | kCloneSighand |
                                       kCloneThread | kCloneSysvsem | kCloneSettls |
                                       kCloneParentSettid | kCloneChildCleartid |
                                       kCloneDetached | kCloneChildSettid;

constexpr std::uint64_t kFutexWait = 0, kFutexWake = 1, kFutexRequeue = 3, kFutexCmpRequeue = 4,
                        kFutexWaitBitset = 9, kFutexWakeBitset = 10;
constexpr std::uint64_t kFutexPrivate = 128, kFutexClockRealtime = 256;

struct Timespec {
  std::int64_t seconds;
  std::int64_t nanoseconds;
};

kproc::UserThread& self() { return *kproc::current_user_thread(); }

// A timespec from user memory as nanoseconds; -errno on a bad one.
std::int64_t read_timespec(std::uint64_t addr, std::uint64_t* ns) {
  Timespec t;
  if (!arch::copy_from_user(&t, addr, sizeof(t))) return -kEFAULT;
  if (t.seconds < 0 || t.nanoseconds < 0 || t.nanoseconds >= 1'000'000'000) return -kEINVAL;
  const auto s = static_cast<std::uint64_t>(t.seconds);
  *ns = s > 18'000'000'000ull ? ~0ull : s * 1'000'000'000ull + static_cast<std::uint64_t>(t.nanoseconds);
  return 0;
}

std::uint64_t add_saturating(std::uint64_t a, std::uint64_t b) { return a > ~0ull - b ? ~0ull : a + b; }

}  // namespace

PLEIADES_SYSCALL(sys_clone) {
  const std::uint64_t flags = args.a0, stack = args.a1, parent_tid = args.a2,
                      child_tid = args.a3, tls = args.a4;
  if ((flags & kCloneThread) && !(flags & kCloneSighand)) return error(kEINVAL);
  if ((flags & kCloneSighand) && !(flags & kCloneVm)) return error(kEINVAL);
  if ((flags & kCloneFs) && (flags & kCloneNewns)) return error(kEINVAL);
  if ((flags & kCloneThread) && (flags & kClonePidfd)) return error(kEINVAL);
  if (!(flags & kCloneThread) && (flags & kCloneVm) && (flags & kCloneVfork)) {
    // posix_spawn's clone: a vfork child on its own stack. SIGCHLD (the low byte) is what
    // its parent would get; signals come with the next issue.
    if ((flags & ~(kCloneVm | kCloneVfork | 0xffull)) != 0) return error(kEINVAL);
    return kproc::vfork_process(frame, stack);
  }
  if (!(flags & (kCloneThread | kCloneVm))) {
    // fork, as glibc's and musl's fork() call it: clone(SIGCHLD) with the TID bookkeeping.
    // Sharing descriptors, the working directory or signal handlers without sharing memory
    // (CLONE_FILES, CLONE_FS, CLONE_SIGHAND alone) is not supported: EINVAL rather than a
    // silent copy.
    constexpr std::uint64_t kForkFlags = kCloneSettls | kCloneParentSettid |
                                         kCloneChildCleartid | kCloneChildSettid | 0xffull;
    if ((flags & ~kForkFlags) != 0) {
      klog::warn("syscall: clone of a process with flags {:#x}: only fork-style copies (EINVAL)",
                 flags);
      return error(kEINVAL);
    }
    if ((flags & kCloneSettls) && tls >= arch::kUserTop) return error(kEPERM);
    kproc::ForkOptions options;
    options.stack = stack;
    options.child_tid_address = (flags & kCloneChildSettid) ? child_tid : 0;
    options.clear_child_tid = (flags & kCloneChildCleartid) ? child_tid : 0;
    options.set_tls = (flags & kCloneSettls) != 0;
    options.tls = tls;
    auto child = kproc::fork_process(frame, options);
    if (!child) return error(child.error());
    const int pid = child.value();
    if (flags & kCloneParentSettid) (void)arch::copy_to_user(parent_tid, &pid, sizeof(pid));
    return pid;
  }
  if (!(flags & kCloneThread) || (flags & kCloneVfork)) {
    // CLONE_VM without CLONE_THREAD or CLONE_VFORK: a process sharing memory with its parent
    // that runs alongside it, which is not implemented.
    static bool reported = false;
    if (!__atomic_exchange_n(&reported, true, __ATOMIC_RELAXED)) {
      klog::warn("syscall: clone(CLONE_VM) of a process without CLONE_VFORK: ENOSYS");
    }
    return error(kENOSYS);
  }
  if ((flags & ~kThreadFlags & ~0xffull) != 0 || (flags & 0xff) != 0) return error(kEINVAL);
  if ((flags & kCloneSettls) && tls >= arch::kUserTop) return error(kEPERM);
  kproc::UserThread& parent = self();
  kproc::Process* process = parent.process;
  if (process->exiting.load()) return error(kEINTR);

  auto* start = new (std::nothrow) arch::InterruptFrame(frame);
  if (start == nullptr) return error(kENOMEM);
  start->rax = 0;  // the child sees 0
  if (stack != 0) start->rsp = stack;
  kproc::UserThread initial;
  initial.start_frame = start;
  initial.fs_base = (flags & kCloneSettls) ? tls : parent.fs_base;
  initial.gs_base = parent.gs_base;
  initial.signal_mask.store(parent.signal_mask.load());
  initial.clear_child_tid = (flags & kCloneChildCleartid) ? child_tid : 0;
  // The TID first, so the words can be written before the thread can run and exit.
  const int tid = kproc::allocate_id();
  // Linux writes these with put_user and ignores a fault; so do we.
  if (flags & kCloneParentSettid) (void)arch::copy_to_user(parent_tid, &tid, sizeof(tid));
  if (flags & kCloneChildSettid) (void)arch::copy_to_user(child_tid, &tid, sizeof(tid));
  auto created = kproc::create_user_thread(process, initial, kthreads::current()->affinity, tid);
  if (!created) {
    delete start;
    return error(created.error());
  }
  return tid;
}

PLEIADES_SYSCALL(sys_futex) {
  (void)frame;
  const std::uint64_t uaddr = args.a0, op = args.a1, timeout = args.a3, uaddr2 = args.a4;
  const auto val = static_cast<std::uint32_t>(args.a2);
  const auto val3 = static_cast<std::uint32_t>(args.a5);
  const std::uint64_t cmd = op & ~(kFutexPrivate | kFutexClockRealtime);
  const bool realtime = (op & kFutexClockRealtime) != 0;
  const bool shared = (op & kFutexPrivate) == 0;
  kvm::AddressSpace* space = self().process->space;
  if (realtime && cmd != kFutexWaitBitset) return error(kENOSYS);  // as Linux
  switch (cmd) {
    case kFutexWait:
    case kFutexWaitBitset: {
      const std::uint32_t bitset = cmd == kFutexWait ? kproc::kFutexBitsetAll : val3;
      std::uint64_t deadline = kproc::kNoFutexDeadline;
      if (timeout != 0) {
        std::uint64_t ns;
        if (const std::int64_t e = read_timespec(timeout, &ns); e != 0) return e;
        const std::uint64_t now = ktime::now_ns();
        if (cmd == kFutexWait) {
          deadline = add_saturating(now, ns);  // relative, on the monotonic clock
        } else if (realtime) {
          const std::uint64_t wall = ktime::realtime_ns();
          deadline = ns <= wall ? now : add_saturating(now, ns - wall);
        } else {
          deadline = ns;  // absolute on the monotonic clock
        }
      }
      return kproc::futex_wait(space, uaddr, val, deadline, bitset, shared);
    }
    case kFutexWake:
      return kproc::futex_wake(space, uaddr, val, kproc::kFutexBitsetAll, shared);
    case kFutexWakeBitset:
      return kproc::futex_wake(space, uaddr, val, val3, shared);
    case kFutexRequeue:
    case kFutexCmpRequeue: {
      // val2 travels in the timeout argument's register, as a number.
      const auto requeue = static_cast<std::uint32_t>(timeout);
      if (static_cast<std::int32_t>(val) < 0 || static_cast<std::int32_t>(requeue) < 0) {
        return error(kEINVAL);
      }
      return kproc::futex_requeue(space, uaddr, uaddr2, val, requeue, cmd == kFutexCmpRequeue,
                                  val3, shared);
    }
    default:
      // WAKE_OP and the priority-inheritance operations are not implemented.
      return error(kENOSYS);
  }
}

}  // namespace ksys
