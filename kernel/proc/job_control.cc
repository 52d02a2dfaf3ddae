#include "kernel/proc/job_control.h"

#include "kernel/proc/signal.h"
#include "kernel/threads/kernel_scheduler.h"
#include "smp/locks/guard.h"

namespace kproc {
namespace {

constexpr std::uint64_t bit(int sig) { return 1ull << (sig - 1); }
constexpr std::uint64_t kStopSignals = bit(kSigStop) | bit(kSigTstp) | bit(kSigTtin) | bit(kSigTtou);
constexpr std::uint64_t kSigDfl = 0;

// Takes the signals in `mask` off every pending set of `p` (process and threads).
void discard_pending(Process& p, std::uint64_t mask) TA_REQ(g_tree_lock) {
  smp::Guard t{p.threads_lock};
  smp::Guard a{p.actions_lock};
  p.shared_pending.fetch_and(~mask);
  for (UserThread* u = p.threads; u != nullptr; u = u->next_in_process) u->pending.fetch_and(~mask);
}

// Tells the parent of `p` about a stop or a continue: its waiters wake, and SIGCHLD with `code`
// comes unless it asked for none with SA_NOCLDSTOP.
void notify_parent_locked(Process& p, std::int32_t code, int status) TA_REQ(g_tree_lock) {
  Process* parent = p.parent;
  if (parent == nullptr || parent->zombie) return;
  parent->child_events.fetch_add(1);
  (void)parent->child_wait.wake_all(kthreads::scheduler());
  bool quiet;
  {
    smp::Guard a{parent->actions_lock};
    quiet = (parent->actions[kSigChld - 1].flags & kSaNocldstop) != 0;
  }
  if (quiet) return;
  SignalInfo info;
  info.code = code;
  info.pid = p.pid;
  info.status = status;
  (void)send_to_process(*parent, kSigChld, info);
}

// Stops `p` with `sig` (not stopped yet): its threads park, its parent is told.
void stop_locked(Process& p, int sig) TA_REQ(g_tree_lock) {
  p.stopped.store(true);
  p.stop_report = sig;
  p.continue_report = false;
  {
    smp::Guard t{p.threads_lock};
    for (UserThread* u = p.threads; u != nullptr; u = u->next_in_process) kick_thread(*u);
  }
  notify_parent_locked(p, kCldStopped, sig);
}

// Linux's will_become_orphaned_pgrp: no live member of group `pgid` other than `ignore` has a
// parent outside the group in the same session (members whose parent is process 1 do not
// count: process 1 is no job-control shell).
bool orphaned_locked(int pgid, const Process* ignore) TA_REQ(g_tree_lock) {
  for (Process* q = g_all; q != nullptr; q = q->next_process) {
    if (q->pgid != pgid || q == ignore || q->zombie) continue;
    const Process* parent = q->parent;
    if (parent == nullptr || parent->pid == 1) continue;
    if (parent->pgid != pgid && parent->sid == q->sid) return false;
  }
  return true;
}

bool has_stopped_member_locked(int pgid) TA_REQ(g_tree_lock) {
  for (Process* q = g_all; q != nullptr; q = q->next_process) {
    if (q->pgid == pgid && !q->zombie && q->stopped.load()) return true;
  }
  return false;
}

// Whether the default action of `sig` is what `p` has, and some thread takes it now.
bool stops_now(Process& p, int sig) {
  {
    smp::Guard a{p.actions_lock};
    if (p.actions[sig - 1].handler != kSigDfl) return false;
  }
  if (sig == kSigStop) return true;  // cannot be blocked
  smp::Guard t{p.threads_lock};
  for (UserThread* u = p.threads; u != nullptr; u = u->next_in_process) {
    if ((u->signal_mask.load() & bit(sig)) == 0) return true;
  }
  return false;
}

}  // namespace

bool prepare_signal_locked(Process& p, int sig, bool to_thread) {
  if (p.exiting.load()) return true;  // ending: nothing to stop or continue
  if (sig == kSigCont) {
    discard_pending(p, kStopSignals);
    if (p.stopped.load()) {
      p.stopped.store(false);
      p.stop_report = 0;
      p.continue_report = true;
      (void)p.stop_wait.wake_all(kthreads::scheduler());
      notify_parent_locked(p, kCldContinued, kSigCont);
    }
    return true;  // SIGCONT itself: a handler may run (ignored by default)
  }
  if (!is_stop_signal(sig)) return true;
  discard_pending(p, bit(kSigCont));
  if (to_thread || !stops_now(p, sig)) return true;  // queued: a handler, or taken later
  if (p.pid == 1) return false;  // process 1 is not stopped by default actions
  if (sig != kSigStop && orphaned_locked(p.pgid, nullptr)) return false;  // discarded
  if (!p.stopped.load()) stop_locked(p, sig);
  return false;
}

void stop_on_delivery(UserThread& t, int sig) {
  Process& p = *t.process;
  smp::Guard g{g_tree_lock};
  if (p.exiting.load() || p.stopped.load() || p.pid == 1) return;
  if (sig != kSigStop && orphaned_locked(p.pgid, nullptr)) return;
  stop_locked(p, sig);
}

void park_while_stopped(UserThread& t) {
  Process& p = *t.process;
  if (!p.stopped.load(std::memory_order_acquire)) return;
  // No deadline: a stopped process stays stopped until SIGCONT or SIGKILL, as on Linux.
  p.stop_wait.wait(kthreads::scheduler(), [&] {
    return !p.stopped.load(std::memory_order_acquire) || p.exiting.load(std::memory_order_acquire) ||
           t.killed.load(std::memory_order_acquire);
  });
}

void hang_up_if_orphaned_locked(Process& member, const Process* old_parent) {
  const Process* ignore = old_parent == nullptr ? &member : nullptr;
  const Process* parent = old_parent == nullptr ? member.parent : old_parent;
  if (parent == nullptr) return;
  const int pgid = member.pgid;
  if (parent->pgid == pgid || parent->sid != member.sid) return;
  if (!orphaned_locked(pgid, ignore) || !has_stopped_member_locked(pgid)) return;
  SignalInfo info;
  info.code = kSiKernel;
  for (const int sig : {kSigHup, kSigCont}) {
    for (Process* q = g_all; q != nullptr; q = q->next_process) {
      if (q->pgid != pgid || q->zombie) continue;
      if (prepare_signal_locked(*q, sig, false)) (void)send_to_process(*q, sig, info);
    }
  }
}

}  // namespace kproc
