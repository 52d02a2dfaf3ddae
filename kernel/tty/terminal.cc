// The console terminal: reads, writes, poll, and the worker that runs received bytes through the
// line discipline (terminal.h; docs/terminal.md).
#include "kernel/tty/terminal.h"

#include <new>

#include "kernel/arch/x86_64/user_copy.h"
#include "kernel/console/log.h"
#include "kernel/files/file.h"
#include "kernel/files/poll_wait.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal.h"
#include "kernel/threads/kernel_scheduler.h"
#include "kernel/threads/kthread.h"
#include "kernel/tty/terminal_state.h"
#include "smp/locks/guard.h"

namespace ktty {
namespace {

// Linux's MAX_RW_COUNT: one read or write moves at most this much.
constexpr std::uint64_t kMaxRwCount = 0x7ffff000;
// The worker's wait has a deadline, as every wait has: on it the worker also looks at the UART
// for bytes whose interrupt never came (counted and reported once: it should not happen).
constexpr std::uint64_t kWorkerWakeNs = 1'000'000'000;

Terminal* g_terminal = nullptr;

bool interrupted_now() {
  const kproc::UserThread* t = kproc::current_user_thread();
  return t != nullptr && kproc::interrupted(*t);
}

std::int64_t interrupted_result() {
  const kproc::UserThread* t = kproc::current_user_thread();
  return t != nullptr ? kproc::interrupted_result(*t) : -kEINTR;
}

// Runs `bytes` through the line discipline (echo goes out inside), then, with the lock dropped,
// wakes readers and pollers and sends the ISIG signals to the foreground group.
void receive(Terminal& t, const std::uint8_t* bytes, std::size_t length) {
  std::uint64_t signals = 0;  // bit n: signal n asked for
  int foreground = 0;
  {
    smp::Guard g{t.lock};
    ConsoleOutput echo;
    for (std::size_t i = 0; i < length; ++i) {
      const int sig = t.ldisc.receive(bytes[i], echo);
      if (sig != 0) signals |= 1ull << sig;
    }
    foreground = t.foreground;
    t.input_events.fetch_add(1, std::memory_order_release);
  }
  (void)t.readers.wake_all(kthreads::scheduler());
  kfiles::notify_poll();
  for (int sig = 1; sig < 64 && signals != 0; ++sig) {
    if ((signals & (1ull << sig)) == 0) continue;
    signals &= ~(1ull << sig);
    if (foreground == 0) continue;  // no foreground group: the character only flushed and echoed
    kproc::SignalInfo info;
    info.code = kproc::kSiKernel;
    if (kproc::kill(-foreground, sig, info) == 0) t.signals.fetch_add(1);
  }
}

void worker(void* arg) {
  Terminal& t = *static_cast<Terminal*>(arg);
  bool reported_missed = false;
  for (;;) {
    const bool woken = t.worker_wait.wait_until(
        kthreads::scheduler(), kthreads::scheduler().now() + kWorkerWakeNs,
        [&] { return t.serial_ring.has_data() || t.keyboard_ring.has_data(); });
    if (!woken) {
      // Nothing was signalled for a second: bytes in the UART now mean a lost interrupt.
      const std::size_t missed = drain_serial(t);
      if (missed != 0) {
        t.missed.fetch_add(missed);
        if (!reported_missed) {
          reported_missed = true;
          klog::warn("tty: {} received bytes came without an interrupt (reported once)", missed);
        }
      }
    }
    std::uint8_t bytes[128];
    for (;;) {
      std::size_t n = t.serial_ring.pop(bytes, sizeof(bytes));
      if (n == 0) n = translate_keyboard(t, bytes, sizeof(bytes));
      if (n == 0) break;
      receive(t, bytes, n);
      // A full ring made the handler leave bytes in the UART, whose interrupt then stays
      // raised without a new edge: take them now that there is room.
      (void)drain_serial(t);
    }
  }
}

}  // namespace

Terminal* terminal() { return __atomic_load_n(&g_terminal, __ATOMIC_ACQUIRE); }

void init(bool firmware_8042) {
  auto* t = new (std::nothrow) Terminal;
  if (t == nullptr) {
    klog::error("tty: no memory for the console terminal; console input disabled");
    return;
  }
  {
    smp::Guard g{t->lock};
    t->window = WindowSize{24, 80, 0, 0};  // a serial line: the VT100's size until TIOCSWINSZ
  }
  kthreads::ThreadOptions options;
  options.name = "tty-worker";
  auto thread = kthreads::create_thread(options, worker, t);
  if (!thread) {
    klog::error("tty: cannot start the worker thread ({}); console input disabled", thread.error());
    delete t;
    return;
  }
  __atomic_store_n(&g_terminal, t, __ATOMIC_RELEASE);  // published before any interrupt is routed
  start_serial_input(*t);
  start_keyboard_input(*t, firmware_8042);
}

void attach_init_session(int sid) {
  Terminal* t = terminal();
  if (t == nullptr) return;
  smp::Guard g{t->lock};
  if (t->session != 0) return;
  t->session = sid;
  t->foreground = sid;
}

void refresh_session_locked(Terminal& t) {
  if (t.session != 0 && !kproc::session_leader_alive(t.session)) {
    t.session = 0;
    t.foreground = 0;
  }
}

bool is_controlling_locked(Terminal& t, const kproc::JobControlView& me) {
  return t.session != 0 && t.session == me.sid && !me.tty_detached;
}

std::int64_t open(bool dev_tty, bool no_ctty) {
  Terminal* t = terminal();
  if (t == nullptr) return -kENXIO;
  if (kproc::current_user_thread() == nullptr) return 0;  // the kernel opening it for process 1
  const kproc::JobControlView me = kproc::job_control_view();
  smp::Guard g{t->lock};
  refresh_session_locked(*t);
  if (dev_tty) return is_controlling_locked(*t, me) ? 0 : -kENXIO;
  // tty_open_proc_set_tty: a session leader without a controlling terminal gets this one.
  if (!no_ctty && me.pid == me.sid && t->session == 0) {
    t->session = me.sid;
    t->foreground = me.pgid;
  }
  return 0;
}

std::int64_t read(std::uint64_t buffer, std::uint64_t count, bool nonblock) {
  Terminal* t = terminal();
  if (t == nullptr) return -kEIO;
  if (count == 0) return 0;
  if (!arch::user_range_ok(buffer, count)) return -kEFAULT;
  if (count > kMaxRwCount) count = kMaxRwCount;
  if (const std::int64_t r = check_background(kproc::kSigTtin); r != 0) return r;

  std::uint64_t done = 0;
  std::uint64_t deadline = sched::kNoDeadline;
  bool first = true;
  for (;;) {
    std::uint8_t chunk[256];
    std::uint64_t seen;
    bool canonical;
    LineDiscipline::RawReadRule rule;
    LineDiscipline::ReadResult r;
    {
      smp::Guard g{t->lock};
      seen = t->input_events.load(std::memory_order_acquire);
      canonical = t->ldisc.canonical();
      rule = t->ldisc.raw_read_rule(count);
      const std::uint64_t want = count - done < sizeof(chunk) ? count - done : sizeof(chunk);
      r = t->ldisc.read(chunk, want);
    }
    if (first && !canonical && rule.minimum == 0 && rule.timeout_ns != 0) {
      deadline = kthreads::scheduler().now() + rule.timeout_ns;  // VMIN 0: a limit for it all
    }
    first = false;
    if (r.bytes != 0) {
      if (!arch::copy_to_user(buffer + done, chunk, r.bytes)) {
        return done != 0 ? static_cast<std::int64_t>(done) : -kEFAULT;
      }
      done += r.bytes;
    }
    if (canonical) {
      if (r.line_end || done == count) return static_cast<std::int64_t>(done);
      if (r.bytes != 0) continue;  // the line goes on past this chunk
    } else {
      if (r.bytes == sizeof(chunk) && done < count) continue;  // there may be more at once
      const bool satisfied = rule.minimum == 0 ? done != 0 || rule.timeout_ns == 0
                                               : done >= rule.minimum;
      if (satisfied) return static_cast<std::int64_t>(done);
      if (rule.minimum != 0 && rule.timeout_ns != 0 && r.bytes != 0) {
        deadline = kthreads::scheduler().now() + rule.timeout_ns;  // between bytes, restarted
      }
    }
    if (nonblock) return done != 0 ? static_cast<std::int64_t>(done) : -kEAGAIN;
    const bool arrived = t->readers.wait_until(kthreads::scheduler(), deadline, [&] {
      return t->input_events.load(std::memory_order_acquire) != seen || interrupted_now();
    });
    if (interrupted_now()) return done != 0 ? static_cast<std::int64_t>(done) : interrupted_result();
    if (!arrived) return static_cast<std::int64_t>(done);  // VTIME ran out
  }
}

std::int64_t write(std::uint64_t buffer, std::uint64_t count) {
  Terminal* t = terminal();
  if (count > kMaxRwCount) count = kMaxRwCount;
  if (t != nullptr) {
    bool tostop;
    {
      smp::Guard g{t->lock};
      tostop = (t->ldisc.termios().lflag & kTostop) != 0;
    }
    if (tostop) {
      if (const std::int64_t r = check_background(kproc::kSigTtou); r != 0) return r;
    }
  }
  char chunk[256];
  std::uint64_t done = 0;
  while (done < count) {
    const std::uint64_t n = count - done < sizeof(chunk) ? count - done : sizeof(chunk);
    if (!arch::copy_from_user(chunk, buffer + done, n)) {
      return done != 0 ? static_cast<std::int64_t>(done) : -kEFAULT;
    }
    if (t != nullptr) {
      smp::Guard g{t->lock};
      ConsoleOutput out;
      t->ldisc.write_output(chunk, n, out);
    } else {
      klog::write_raw(chunk, n);  // no terminal (out of memory at boot): the consoles as they are
    }
    done += n;
  }
  return static_cast<std::int64_t>(done);
}

std::uint32_t poll_events() {
  std::uint32_t e = kfiles::kPollOut | kfiles::kPollWrNorm;
  Terminal* t = terminal();
  if (t == nullptr) return e;
  smp::Guard g{t->lock};
  bool ready = t->ldisc.readable();
  if (ready && !t->ldisc.canonical()) {
    // n_tty_poll: with VTIME 0 a raw reader waits for VMIN bytes, so fewer are not readiness.
    const Termios& tio = t->ldisc.termios();
    const std::size_t need = tio.cc[kVtime] == 0 && tio.cc[kVmin] > 1 ? tio.cc[kVmin] : 1;
    ready = t->ldisc.readable_bytes() >= need;
  }
  if (ready) e |= kfiles::kPollIn | kfiles::kPollRdNorm;
  return e;
}

Stats stats() {
  Stats s;
  Terminal* t = terminal();
  if (t == nullptr) return s;
  s.serial_bytes = t->serial_bytes.load();
  s.keyboard_bytes = t->keyboard_bytes.load();
  s.ring_dropped = t->serial_ring.dropped() + t->keyboard_ring.dropped();
  s.signals = t->signals.load();
  s.missed_interrupts = t->missed.load();
  smp::Guard g{t->lock};
  s.buffer_dropped = t->ldisc.dropped();
  return s;
}

}  // namespace ktty
