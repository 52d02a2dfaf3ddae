// The console terminal's ioctls and job-control checks (Linux's tty_ioctl.c and tty_jobctrl.c
// facts: which call needs the caller's controlling terminal, which errno when not, when a
// background process group is signalled).
#include "kernel/arch/x86_64/user_copy.h"
#include "kernel/files/poll_wait.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal.h"
#include "kernel/threads/kernel_scheduler.h"
#include "kernel/tty/terminal.h"
#include "kernel/tty/terminal_state.h"
#include "smp/locks/guard.h"

namespace ktty {
namespace {

// ioctl numbers (asm-generic/ioctls.h).
constexpr std::uint64_t kTcgets = 0x5401, kTcsets = 0x5402, kTcsetsw = 0x5403, kTcsetsf = 0x5404,
                        kTcsbrk = 0x5409, kTcflsh = 0x540b, kTiocsctty = 0x540e,
                        kTiocgpgrp = 0x540f, kTiocspgrp = 0x5410, kTiocoutq = 0x5411,
                        kTiocgwinsz = 0x5413, kTiocswinsz = 0x5414, kFionread = 0x541b,
                        kTiocnotty = 0x5422, kTiocgsid = 0x5429;
// TCFLSH's argument.
constexpr std::uint64_t kTciflush = 0, kTcoflush = 1, kTcioflush = 2;
constexpr std::uint64_t kSigIgn = 1;  // SIG_IGN as rt_sigaction stores it
constexpr int kSigHup = 1;

bool ignored_or_blocked(const kproc::UserThread& self, int sig) {
  if ((self.signal_mask.load(std::memory_order_relaxed) & (1ull << (sig - 1))) != 0) return true;
  kproc::Process& p = *self.process;
  smp::Guard g{p.actions_lock};
  return p.actions[sig - 1].handler == kSigIgn;
}

void send_to_group(int pgrp, int sig) {
  if (pgrp <= 0) return;
  kproc::SignalInfo info;
  info.code = kproc::kSiKernel;
  (void)kproc::kill(-pgrp, sig, info);
}

// Input changed in a way a sleeping reader or poller must re-check (new termios, a flush).
void input_changed(Terminal& t) TA_REQ(t.lock) { t.input_events.fetch_add(1); }
void wake_readers(Terminal& t) {
  (void)t.readers.wake_all(kthreads::scheduler());
  kfiles::notify_poll();
}

std::int64_t put_int(std::uint64_t argument, int value) {
  return arch::copy_to_user(argument, &value, sizeof(value)) ? 0 : -kEFAULT;
}

std::int64_t set_termios(Terminal& t, std::uint64_t command, std::uint64_t argument) {
  if (const std::int64_t r = check_background(kproc::kSigTtou); r != 0) return r;
  Termios next;
  if (!arch::copy_from_user(&next, argument, sizeof(next))) return -kEFAULT;
  {
    smp::Guard g{t.lock};
    // TCSETSW waits for output to drain: output is written synchronously, nothing is queued.
    if (command == kTcsetsf) t.ldisc.flush_input();
    t.ldisc.set_termios(next);
    input_changed(t);
  }
  wake_readers(t);
  return 0;
}

std::int64_t set_foreground(Terminal& t, std::uint64_t argument) {
  if (const std::int64_t r = check_background(kproc::kSigTtou); r != 0) return r;
  const kproc::JobControlView me = kproc::job_control_view();
  int pgrp;
  if (!arch::copy_from_user(&pgrp, argument, sizeof(pgrp))) return -kEFAULT;
  smp::Guard g{t.lock};
  refresh_session_locked(t);
  if (!is_controlling_locked(t, me)) return -kENOTTY;
  if (pgrp < 0) return -kEINVAL;
  if (!kproc::group_in_session(pgrp, me.sid)) {
    // ESRCH when nothing has that ID at all; a group of another session is EPERM.
    kproc::ProcessSnapshot s;
    return kproc::snapshot_process(pgrp, &s) ? -kEPERM : -kESRCH;
  }
  t.foreground = pgrp;
  return 0;
}

std::int64_t set_controlling(Terminal& t, std::uint64_t argument, bool readable) {
  const kproc::JobControlView me = kproc::job_control_view();
  smp::Guard g{t.lock};
  refresh_session_locked(t);
  const bool leader = me.pid == me.sid;
  if (leader && t.session == me.sid) return 0;  // already its controlling terminal
  if (!leader || is_controlling_locked(t, me)) return -kEPERM;
  // Taken from another session only when asked (argument 1) by a privileged caller: every
  // process here is root.
  if (t.session != 0 && argument != 1) return -kEPERM;
  if (!readable) return -kEPERM;
  t.session = me.sid;
  t.foreground = me.pgid;
  return 0;
}

std::int64_t give_up_controlling(Terminal& t) {
  const kproc::JobControlView me = kproc::job_control_view();
  int foreground = 0;
  {
    smp::Guard g{t.lock};
    refresh_session_locked(t);
    if (!is_controlling_locked(t, me)) return -kENOTTY;
    if (me.pid != me.sid) {
      kproc::detach_tty();  // it alone: the session keeps its terminal
      return 0;
    }
    // The leader: the whole session loses it, and its foreground group is told (Linux's
    // disassociate_ctty without on_exit: SIGHUP, then SIGCONT).
    foreground = t.foreground;
    t.session = 0;
    t.foreground = 0;
  }
  send_to_group(foreground, kSigHup);
  send_to_group(foreground, kproc::kSigCont);
  return 0;
}

}  // namespace

std::int64_t check_background(int sig) {
  Terminal* t = terminal();
  const kproc::UserThread* self = kproc::current_user_thread();
  if (t == nullptr || self == nullptr) return 0;
  const kproc::JobControlView me = kproc::job_control_view();
  int foreground;
  {
    smp::Guard g{t->lock};
    refresh_session_locked(*t);
    if (!is_controlling_locked(*t, me)) return 0;
    foreground = t->foreground;
  }
  if (foreground == 0 || foreground == me.pgid) return 0;
  if (ignored_or_blocked(*self, sig)) return sig == kproc::kSigTtin ? -kEIO : 0;
  if (me.group_orphaned) return -kEIO;
  send_to_group(me.pgid, sig);
  return kproc::kRestartSys;
}

std::int64_t ioctl(std::uint64_t command, std::uint64_t argument, bool readable) {
  Terminal* t = terminal();
  if (t == nullptr) return -kENOTTY;
  switch (command) {
    case kTcgets: {
      Termios now;
      {
        smp::Guard g{t->lock};
        now = t->ldisc.termios();
      }
      return arch::copy_to_user(argument, &now, sizeof(now)) ? 0 : -kEFAULT;
    }
    case kTcsets:
    case kTcsetsw:
    case kTcsetsf:
      return set_termios(*t, command, argument);
    case kTcsbrk:
      return 0;  // tcdrain/tcsendbreak: output is never queued; a serial break is not sent
    case kTcflsh: {
      if (argument > kTcioflush) return -kEINVAL;
      if (const std::int64_t r = check_background(kproc::kSigTtou); r != 0) return r;
      if (argument == kTciflush || argument == kTcioflush) {
        smp::Guard g{t->lock};
        t->ldisc.flush_input();
        input_changed(*t);
      }
      (void)kTcoflush;  // output is never queued: nothing to drop
      return 0;
    }
    case kTiocgpgrp: {
      const kproc::JobControlView me = kproc::job_control_view();
      int pgrp;
      {
        smp::Guard g{t->lock};
        refresh_session_locked(*t);
        if (!is_controlling_locked(*t, me)) return -kENOTTY;
        pgrp = t->foreground;
      }
      return put_int(argument, pgrp);
    }
    case kTiocspgrp:
      return set_foreground(*t, argument);
    case kTiocgsid: {
      const kproc::JobControlView me = kproc::job_control_view();
      int sid;
      {
        smp::Guard g{t->lock};
        refresh_session_locked(*t);
        if (!is_controlling_locked(*t, me)) return -kENOTTY;
        sid = t->session;
      }
      return put_int(argument, sid);
    }
    case kTiocgwinsz: {
      WindowSize w;
      {
        smp::Guard g{t->lock};
        w = t->window;
      }
      return arch::copy_to_user(argument, &w, sizeof(w)) ? 0 : -kEFAULT;
    }
    case kTiocswinsz: {
      WindowSize w;
      if (!arch::copy_from_user(&w, argument, sizeof(w))) return -kEFAULT;
      int foreground = 0;
      {
        smp::Guard g{t->lock};
        const WindowSize& old = t->window;
        const bool same = old.rows == w.rows && old.columns == w.columns &&
                          old.x_pixels == w.x_pixels && old.y_pixels == w.y_pixels;
        if (same) return 0;
        t->window = w;
        foreground = t->foreground;
      }
      send_to_group(foreground, kproc::kSigWinch);
      return 0;
    }
    case kTiocsctty:
      return set_controlling(*t, argument, readable);
    case kTiocnotty:
      return give_up_controlling(*t);
    case kFionread: {
      std::size_t n;
      {
        smp::Guard g{t->lock};
        n = t->ldisc.readable_bytes();
      }
      return put_int(argument, static_cast<int>(n));
    }
    case kTiocoutq:
      return put_int(argument, 0);  // output is written synchronously: nothing waits
    default:
      return -kENOTTY;
  }
}

}  // namespace ktty
