// pipe, pipe2, poll, ppoll, select, pselect6. Readiness comes from each file's poll_events();
// sleeping is kfiles::wait_poll (one kernel-wide readiness counter: kernel/files/poll_wait.h).
// The signal masks of ppoll and pselect6 are accepted and have no effect until signals exist.
#include <new>

#include "kernel/arch/x86_64/user_copy.h"
#include "kernel/files/pipe.h"
#include "kernel/files/poll_wait.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal.h"
#include "kernel/syscalls/file_helpers.h"
#include "kernel/syscalls/handlers.h"
#include "kernel/time/clock.h"

namespace ksys {
namespace {

using namespace kabi;

constexpr std::uint64_t kNsPerMs = 1'000'000;
constexpr std::uint64_t kNsPerSecond = 1'000'000'000;
// How often a poll re-checks files that cannot wake it (the polled console input).
constexpr std::uint64_t kRecheckNs = 10'000'000;
constexpr std::uint64_t kNoDeadline = ~0ull;

struct PollFd {
  std::int32_t fd;
  std::int16_t events;
  std::int16_t revents;
};

struct Timespec {
  std::int64_t seconds;
  std::int64_t nanoseconds;
};

struct Timeval {
  std::int64_t seconds;
  std::int64_t microseconds;
};

bool ending(void*) {
  const kproc::UserThread* t = kproc::current_user_thread();
  return t != nullptr && kproc::interrupted(*t);
}

std::uint64_t deadline_after(std::uint64_t ns) {
  const std::uint64_t now = ktime::now_ns();
  return ns > kNoDeadline - now ? kNoDeadline : now + ns;
}

// Sleeps until readiness may have changed: 0, or -EINTR when the process is ending. `*timed_out`
// when the deadline passed.
std::int64_t sleep_for_change(std::uint64_t seen, std::uint64_t deadline, bool recheck,
                              bool* timed_out) {
  std::uint64_t until = deadline;
  if (recheck) {
    const std::uint64_t soon = deadline_after(kRecheckNs);
    if (soon < until) until = soon;
  }
  const bool changed = kfiles::wait_poll(seen, until, &ending, nullptr);
  if (ending(nullptr)) return -kEINTR;
  *timed_out = !changed && until == deadline && ktime::now_ns() >= deadline;
  return 0;
}

std::int64_t do_poll(std::uint64_t user_fds, std::uint64_t count, std::uint64_t deadline) {
  if (count > static_cast<std::uint64_t>(fd_limit())) return error(kEINVAL);
  PollFd* fds = new (std::nothrow) PollFd[count == 0 ? 1 : count];
  if (fds == nullptr) return error(kENOMEM);
  std::int64_t result = 0;
  if (!arch::copy_from_user(fds, user_fds, count * sizeof(PollFd))) {
    result = error(kEFAULT);
  } else {
    for (;;) {
      const std::uint64_t seen = kfiles::poll_generation();
      std::int64_t ready = 0;
      bool recheck = false;
      for (std::uint64_t i = 0; i < count; ++i) {
        fds[i].revents = 0;
        if (fds[i].fd < 0) continue;
        kfiles::FileRef f = file_of(static_cast<std::uint64_t>(fds[i].fd));
        std::uint32_t events;
        if (!f) {
          events = kfiles::kPollNval;
        } else {
          // POLLERR, POLLHUP and POLLNVAL are reported whether asked for or not.
          const std::uint32_t wanted = static_cast<std::uint16_t>(fds[i].events) |
                                       kfiles::kPollErr | kfiles::kPollHup;
          events = f->poll_events() & wanted;
          recheck = recheck || f->needs_polling();
        }
        fds[i].revents = static_cast<std::int16_t>(events);
        if (events != 0) ++ready;
      }
      bool timed_out = deadline != kNoDeadline && ktime::now_ns() >= deadline;
      if (ready == 0 && !timed_out) {
        const std::int64_t e = sleep_for_change(seen, deadline, recheck, &timed_out);
        if (e != 0) {
          result = e;
          break;
        }
        if (!timed_out) continue;
      }
      result = ready;
      if (!arch::copy_to_user(user_fds, fds, count * sizeof(PollFd))) result = error(kEFAULT);
      break;
    }
  }
  delete[] fds;
  return result;
}

// select's three sets, each `words` 64-bit words of user memory (or 0: not given).
std::int64_t do_select(std::int64_t nfds, std::uint64_t sets[3], std::uint64_t deadline) {
  if (nfds < 0) return error(kEINVAL);
  if (nfds > kfiles::FdTable::kMaxFds) nfds = kfiles::FdTable::kMaxFds;
  const std::uint64_t words = (static_cast<std::uint64_t>(nfds) + 63) / 64;
  std::uint64_t in[3][kfiles::FdTable::kMaxFds / 64] = {};
  std::uint64_t out[3][kfiles::FdTable::kMaxFds / 64] = {};
  for (int s = 0; s < 3; ++s) {
    if (sets[s] != 0 && !arch::copy_from_user(in[s], sets[s], words * 8)) return error(kEFAULT);
  }
  constexpr std::uint32_t kRead = kfiles::kPollIn | kfiles::kPollHup | kfiles::kPollErr;
  constexpr std::uint32_t kWrite = kfiles::kPollOut | kfiles::kPollErr;
  constexpr std::uint32_t kExcept = kfiles::kPollPri;
  const std::uint32_t masks[3] = {kRead, kWrite, kExcept};
  for (;;) {
    const std::uint64_t seen = kfiles::poll_generation();
    std::int64_t ready = 0;
    bool recheck = false;
    for (std::int64_t fd = 0; fd < nfds; ++fd) {
      const std::uint64_t bit = 1ull << (fd % 64);
      const bool asked = (in[0][fd / 64] | in[1][fd / 64] | in[2][fd / 64]) & bit;
      if (!asked) continue;
      kfiles::FileRef f = file_of(static_cast<std::uint64_t>(fd));
      if (!f) return error(kEBADF);
      const std::uint32_t events = f->poll_events();
      recheck = recheck || f->needs_polling();
      for (int s = 0; s < 3; ++s) {
        if ((in[s][fd / 64] & bit) && (events & masks[s])) {
          out[s][fd / 64] |= bit;
          ++ready;
        }
      }
    }
    bool timed_out = deadline != kNoDeadline && ktime::now_ns() >= deadline;
    if (ready == 0 && !timed_out) {
      const std::int64_t e = sleep_for_change(seen, deadline, recheck, &timed_out);
      if (e != 0) return e;
      if (!timed_out) continue;
    }
    for (int s = 0; s < 3; ++s) {
      if (sets[s] != 0 && !arch::copy_to_user(sets[s], out[s], words * 8)) return error(kEFAULT);
    }
    return ready;
  }
}

std::int64_t make_pipe(std::uint64_t user_fds, std::uint64_t flags) {
  if ((flags & ~static_cast<std::uint64_t>(kfiles::kCloexec | kfiles::kNonblock)) != 0) {
    return error(kEINVAL);
  }
  kfiles::File* r;
  kfiles::File* w;
  if (!kfiles::make_pipe(static_cast<std::uint32_t>(flags), &r, &w)) return error(kENOMEM);
  const bool cloexec = (flags & kfiles::kCloexec) != 0;
  const int rfd = fd_table().install(kfiles::FileRef{r}, cloexec, 0, fd_limit());
  if (rfd < 0) {
    w->put();
    return rfd;
  }
  const int wfd = fd_table().install(kfiles::FileRef{w}, cloexec, 0, fd_limit());
  if (wfd < 0) {
    (void)fd_table().close(rfd);
    return wfd;
  }
  const std::int32_t out[2] = {rfd, wfd};
  if (!arch::copy_to_user(user_fds, out, sizeof(out))) {
    (void)fd_table().close(rfd);
    (void)fd_table().close(wfd);
    return error(kEFAULT);
  }
  return 0;
}

}  // namespace

PLEIADES_SYSCALL(sys_pipe) {
  (void)frame;
  return make_pipe(args.a0, 0);
}

PLEIADES_SYSCALL(sys_pipe2) {
  (void)frame;
  return make_pipe(args.a0, args.a1);
}

PLEIADES_SYSCALL(sys_poll) {
  (void)frame;
  const auto timeout_ms = static_cast<std::int32_t>(args.a2);
  const std::uint64_t deadline =
      timeout_ms < 0 ? kNoDeadline : deadline_after(static_cast<std::uint64_t>(timeout_ms) * kNsPerMs);
  return do_poll(args.a0, args.a1, deadline);
}

PLEIADES_SYSCALL(sys_ppoll) {
  (void)frame;
  std::uint64_t deadline = kNoDeadline;
  if (args.a2 != 0) {
    Timespec t;
    if (!arch::copy_from_user(&t, args.a2, sizeof(t))) return error(kEFAULT);
    if (t.seconds < 0 || t.nanoseconds < 0 || t.nanoseconds >= static_cast<std::int64_t>(kNsPerSecond)) {
      return error(kEINVAL);
    }
    const auto s = static_cast<std::uint64_t>(t.seconds);
    deadline = s > 1'000'000'000'000ull ? kNoDeadline
                                        : deadline_after(s * kNsPerSecond + static_cast<std::uint64_t>(t.nanoseconds));
  }
  if (args.a3 != 0 && args.a4 != 8) return error(kEINVAL);  // sigset size
  return do_poll(args.a0, args.a1, deadline);
}

PLEIADES_SYSCALL(sys_select) {
  (void)frame;
  std::uint64_t deadline = kNoDeadline;
  if (args.a4 != 0) {
    Timeval t;
    if (!arch::copy_from_user(&t, args.a4, sizeof(t))) return error(kEFAULT);
    if (t.seconds < 0 || t.microseconds < 0 || t.microseconds >= 1'000'000) return error(kEINVAL);
    const auto s = static_cast<std::uint64_t>(t.seconds);
    deadline = s > 1'000'000'000'000ull ? kNoDeadline
                                        : deadline_after(s * kNsPerSecond + static_cast<std::uint64_t>(t.microseconds) * 1000);
  }
  std::uint64_t sets[3] = {args.a1, args.a2, args.a3};
  return do_select(static_cast<std::int64_t>(static_cast<std::int32_t>(args.a0)), sets, deadline);
}

PLEIADES_SYSCALL(sys_pselect6) {
  (void)frame;
  std::uint64_t deadline = kNoDeadline;
  if (args.a4 != 0) {
    Timespec t;
    if (!arch::copy_from_user(&t, args.a4, sizeof(t))) return error(kEFAULT);
    if (t.seconds < 0 || t.nanoseconds < 0 || t.nanoseconds >= static_cast<std::int64_t>(kNsPerSecond)) {
      return error(kEINVAL);
    }
    const auto s = static_cast<std::uint64_t>(t.seconds);
    deadline = s > 1'000'000'000'000ull ? kNoDeadline
                                        : deadline_after(s * kNsPerSecond + static_cast<std::uint64_t>(t.nanoseconds));
  }
  std::uint64_t sets[3] = {args.a1, args.a2, args.a3};
  return do_select(static_cast<std::int64_t>(static_cast<std::int32_t>(args.a0)), sets, deadline);
}

}  // namespace ksys
