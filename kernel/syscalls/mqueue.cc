// POSIX message queues (mq_overview(7)): mq_open, mq_unlink, mq_timedsend, mq_timedreceive,
// mq_notify, mq_getsetattr, with Linux's argument checks and errno values (ipc/mqueue.c). The
// queues are kernel/ipc's; a descriptor is a File of the caller's table.
#include <new>

#include "kernel/arch/x86_64/user_copy.h"
#include "kernel/files/poll_wait.h"
#include "kernel/ipc/queue_file.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal.h"
#include "kernel/syscalls/file_helpers.h"
#include "kernel/syscalls/handlers.h"
#include "kernel/time/rtc.h"
#include "sched/current_scheduler.h"
#include "smp/locks/guard.h"

namespace ksys {
namespace {

using namespace kabi;

kproc::Process& process() { return *kproc::current_user_thread()->process; }

// struct mq_attr (x86-64): four longs and four reserved ones.
struct LinuxMqAttr {
  std::int64_t flags, max_messages, message_size, current_messages;
  std::int64_t reserved[4];
};
static_assert(sizeof(LinuxMqAttr) == 64);

// struct sigevent (x86-64): the value, the signal and the kind, then a union (64 bytes).
struct LinuxSigevent {
  std::uint64_t value;
  std::int32_t signo;
  std::int32_t notify;
  std::uint8_t rest[48];
};
static_assert(sizeof(LinuxSigevent) == 64);
constexpr std::int32_t kSigevSignal = 0, kSigevNone = 1, kSigevThread = 2;
// SIGEV_THREAD's cookie, read from sival_ptr (NOTIFY_COOKIE_LEN).
constexpr std::uint64_t kNotifyCookieBytes = 32;

struct Timespec {
  std::int64_t seconds, nanoseconds;
};
constexpr std::uint64_t kNsPerSecond = 1'000'000'000;

// A descriptor's queue and file, or an empty file (EBADF: not open, or not a queue).
struct QueueHandle {
  kfiles::FileRef file;
  kipc::MessageQueue* queue = nullptr;
};
QueueHandle queue_at(std::uint64_t fd) {
  QueueHandle h{file_of(fd), nullptr};
  if (h.file) h.queue = kipc::queue_of(*h.file);
  if (h.queue == nullptr) h.file.reset();
  return h;
}

// The absolute CLOCK_REALTIME timeout at `user` (0: none) as a deadline on the scheduler's
// clock, in `*deadline`. 0, or -EFAULT / -EINVAL (a bad timespec), checked before anything
// else as Linux's prepare_timeout does.
std::int64_t read_timeout(std::uint64_t user, std::uint64_t* deadline) {
  *deadline = sched::kNoDeadline;
  if (user == 0) return 0;
  Timespec t;
  if (!arch::copy_from_user(&t, user, sizeof(t))) return error(kEFAULT);
  if (t.seconds < 0 || t.nanoseconds < 0 || t.nanoseconds >= static_cast<std::int64_t>(kNsPerSecond)) {
    return error(kEINVAL);
  }
  const auto s = static_cast<std::uint64_t>(t.seconds);
  if (s > (~0ull - kNsPerSecond) / kNsPerSecond) return 0;  // beyond 2^64 ns: never
  const std::uint64_t at = s * kNsPerSecond + static_cast<std::uint64_t>(t.nanoseconds);
  // The wait runs on the monotonic clock: a later change of the real-time clock does not
  // move it (Linux's would).
  const std::uint64_t now = ktime::realtime_ns();
  *deadline = sched::deadline_after(at > now ? at - now : 0);
  return 0;
}

bool current_interrupted(void*) {
  const kproc::UserThread* t = kproc::current_user_thread();
  return t != nullptr && kproc::interrupted(*t);
}

std::int64_t wait_error(kipc::Outcome o) {
  switch (o) {
    case kipc::Outcome::kDone: return 0;
    case kipc::Outcome::kWouldBlock: return error(kEAGAIN);
    case kipc::Outcome::kTimedOut: return error(kETIMEDOUT);
    case kipc::Outcome::kInterrupted: break;
  }
  return kproc::interrupted_result(*kproc::current_user_thread());
}

// Tells a notification's owner that a message arrived (SIGEV_SIGNAL with a signal; SIGEV_NONE
// only ends the registration). An owner that has gone is not told.
void deliver(const kipc::Notification& n) {
  if (n.kind != kipc::Notification::Kind::kSignal || n.signal == 0) return;
  kproc::SignalInfo info;
  info.signo = n.signal;
  info.code = kproc::kSiMesgq;
  info.pid = process().pid;
  info.uid = 0;
  info.value = n.value;
  (void)kproc::kill(n.owner, n.signal, info);
}

}  // namespace

PLEIADES_SYSCALL(sys_mq_open) {
  (void)frame;
  LinuxMqAttr attr{};
  if (args.a3 != 0 && !arch::copy_from_user(&attr, args.a3, sizeof(attr))) return error(kEFAULT);
  char* name = new (std::nothrow) char[kPathMax];
  if (name == nullptr) return error(kENOMEM);
  const std::int64_t length = copy_path(args.a0, name);
  kipc::QueueRef queue;
  std::int64_t result = length < 0 ? length : 0;
  const auto flags = static_cast<std::uint32_t>(args.a1);
  if (result == 0 && fd_table().count() >= fd_limit()) result = error(kEMFILE);
  if (result == 0 && (flags & kfiles::kAccessMode) == 3) result = error(kEINVAL);
  if (result == 0) {
    kipc::OpenRequest request;
    request.name = {name, static_cast<std::size_t>(length)};
    request.create = (flags & kfiles::kCreate) != 0;
    request.exclusive = (flags & kfiles::kExclusive) != 0;
    kipc::Attributes attributes{attr.max_messages, attr.message_size};
    if (args.a3 != 0) request.attributes = &attributes;
    request.mode = static_cast<std::uint32_t>(args.a2) & ~process().umask.load();
    // Every process runs as root, with CAP_SYS_RESOURCE: the hard limits apply.
    request.creator.privileged = true;
    {
      smp::Guard g{process().actions_lock};
      request.creator.bytes_limit = process().limits[kproc::kRlimitMsgqueue].current;
    }
    auto opened = kipc::registry().open(request);
    if (opened) {
      queue = static_cast<kipc::QueueRef&&>(opened.value());
    } else {
      result = error(opened.error());
    }
  }
  delete[] name;
  if (result != 0) return result;
  kfiles::File* file = kipc::open_queue_file(
      static_cast<kipc::QueueRef&&>(queue), flags & (kfiles::kAccessMode | kfiles::kNonblock));
  if (file == nullptr) return error(kENOMEM);
  return fd_table().install(kfiles::FileRef{file}, (flags & kfiles::kCloexec) != 0, 0, fd_limit());
}

PLEIADES_SYSCALL(sys_mq_unlink) {
  (void)frame;
  char* name = new (std::nothrow) char[kPathMax];
  if (name == nullptr) return error(kENOMEM);
  const std::int64_t length = copy_path(args.a0, name);
  std::int64_t result = length;
  if (length >= 0) {
    const int e = kipc::registry().unlink({name, static_cast<std::size_t>(length)});
    result = e != 0 ? error(e) : 0;
  }
  delete[] name;
  return result;
}

PLEIADES_SYSCALL(sys_mq_timedsend) {
  (void)frame;
  const std::uint64_t length = args.a2;
  const auto priority = static_cast<std::uint32_t>(args.a3);
  if (priority >= kipc::kPriorityLimit) return error(kEINVAL);
  std::uint64_t deadline;
  if (const std::int64_t e = read_timeout(args.a4, &deadline); e != 0) return e;
  QueueHandle h = queue_at(args.a0);
  if (!h.file || !h.file->writable()) return error(kEBADF);
  if (length > static_cast<std::uint64_t>(h.queue->attributes().message_size)) {
    return error(kEMSGSIZE);
  }
  kipc::Message* m = kipc::allocate_message(length, priority);
  if (m == nullptr) return error(kENOMEM);
  if (!arch::copy_from_user(m->bytes(), args.a1, length)) {
    kipc::free_message(m);
    return error(kEFAULT);
  }
  kipc::Notification fired;
  bool did_fire = false;
  const kipc::Outcome o =
      h.queue->send(m, (h.file->flags() & kfiles::kNonblock) != 0, deadline,
                    kipc::Interruption{&current_interrupted, nullptr}, &fired, &did_fire);
  if (o != kipc::Outcome::kDone) {
    kipc::free_message(m);
    return wait_error(o);
  }
  kfiles::notify_poll();
  if (did_fire) deliver(fired);
  return 0;
}

PLEIADES_SYSCALL(sys_mq_timedreceive) {
  (void)frame;
  std::uint64_t deadline;
  if (const std::int64_t e = read_timeout(args.a4, &deadline); e != 0) return e;
  QueueHandle h = queue_at(args.a0);
  if (!h.file || !h.file->readable()) return error(kEBADF);
  if (args.a2 < static_cast<std::uint64_t>(h.queue->attributes().message_size)) {
    return error(kEMSGSIZE);
  }
  kipc::Message* m = nullptr;
  const kipc::Outcome o =
      h.queue->receive(&m, (h.file->flags() & kfiles::kNonblock) != 0, deadline,
                       kipc::Interruption{&current_interrupted, nullptr});
  if (o != kipc::Outcome::kDone) return wait_error(o);
  kfiles::notify_poll();
  // The message is taken: a bad buffer loses it, as on Linux.
  std::int64_t result = static_cast<std::int64_t>(m->size);
  if ((args.a3 != 0 && !arch::copy_to_user(args.a3, &m->priority, sizeof(m->priority))) ||
      !arch::copy_to_user(args.a1, m->bytes(), m->size)) {
    result = error(kEFAULT);
  }
  kipc::free_message(m);
  return result;
}

PLEIADES_SYSCALL(sys_mq_notify) {
  (void)frame;
  LinuxSigevent event{};
  const bool registering = args.a1 != 0;
  if (registering) {
    if (!arch::copy_from_user(&event, args.a1, sizeof(event))) return error(kEFAULT);
    if (event.notify != kSigevNone && event.notify != kSigevSignal && event.notify != kSigevThread) {
      return error(kEINVAL);
    }
    // valid_signal(): 0..64 (0 registers, but no signal is sent).
    if (event.notify == kSigevSignal && static_cast<std::uint32_t>(event.signo) > 64) {
      return error(kEINVAL);
    }
    if (event.notify == kSigevThread) {
      // Linux reads the cookie, then wants sigev_signo to be a netlink socket. This kernel has
      // no sockets: a descriptor that is open is not one.
      std::uint8_t cookie[kNotifyCookieBytes];
      if (!arch::copy_from_user(cookie, event.value, sizeof(cookie))) return error(kEFAULT);
      if (!file_of(static_cast<std::uint32_t>(event.signo))) return error(kEBADF);
      return error(kENOTSOCK);
    }
  }
  QueueHandle h = queue_at(args.a0);
  if (!h.file) return error(kEBADF);
  const int pid = process().pid;
  if (!registering) {
    h.queue->remove_notification(pid);
    return 0;
  }
  kipc::Notification n;
  n.kind = event.notify == kSigevSignal ? kipc::Notification::Kind::kSignal
                                        : kipc::Notification::Kind::kNone;
  n.owner = pid;
  n.signal = event.signo;
  n.value = event.value;
  n.file = h.file.get();
  return h.queue->register_notification(n) ? 0 : error(kEBUSY);
}

PLEIADES_SYSCALL(sys_mq_getsetattr) {
  (void)frame;
  LinuxMqAttr incoming{};
  const bool set = args.a1 != 0;
  if (set && !arch::copy_from_user(&incoming, args.a1, sizeof(incoming))) return error(kEFAULT);
  if (set && (incoming.flags & ~static_cast<std::int64_t>(kfiles::kNonblock)) != 0) {
    return error(kEINVAL);
  }
  QueueHandle h = queue_at(args.a0);
  if (!h.file) return error(kEBADF);
  LinuxMqAttr old{};
  old.flags = h.file->flags() & kfiles::kNonblock;
  old.max_messages = h.queue->attributes().max_messages;
  old.message_size = h.queue->attributes().message_size;
  old.current_messages = h.queue->count();
  if (set) {
    const std::uint32_t others = h.file->flags() & kfiles::kSettableFlags & ~kfiles::kNonblock;
    h.file->set_status_flags(others | (static_cast<std::uint32_t>(incoming.flags) & kfiles::kNonblock));
  }
  if (args.a2 != 0 && !arch::copy_to_user(args.a2, &old, sizeof(old))) return error(kEFAULT);
  return 0;
}

}  // namespace ksys
