// Job control (docs/user-space.md, "Job control"): stopping a whole process with SIGSTOP,
// SIGTSTP, SIGTTIN or SIGTTOU, continuing it with SIGCONT, telling its parent (SIGCHLD with
// CLD_STOPPED or CLD_CONTINUED, and the reports wait4/waitid collect), and the orphaned process
// groups (a group orphaned with a stopped member gets SIGHUP then SIGCONT; terminal stop signals
// to an orphaned group are discarded).
//
// A stop is decided when it is sent, as far as it can be: a stop signal sent to a process whose
// action is the default and which some thread does not block stops the process at once (the
// signal is not queued). Its threads are woken or kicked and park on their way to user mode; a
// thread blocked in a system call goes on waiting there and parks before it returns. A stop
// signal every thread blocks, or one sent to a single thread (tgkill), is queued and stops the
// process when a thread takes it (deliver_signals).
#pragma once

#include "kernel/proc/process.h"
#include "kernel/proc/process_tree.h"

namespace kproc {

inline constexpr std::int32_t kCldStopped = 5, kCldContinued = 6;
inline constexpr std::uint64_t kSaNocldstop = 1;

// Whether `sig` is one of the four stop signals.
constexpr bool is_stop_signal(int sig) { return sig == 19 || sig == 20 || sig == 21 || sig == 22; }

// The job-control part of sending `sig` to `p` (kill, tgkill: `to_thread` for the latter),
// before it is queued, as Linux's prepare_signal: SIGCONT discards pending stop signals and
// continues a stopped process; a stop signal discards a pending SIGCONT and, sent to the
// process with the default action and not blocked by every thread, stops it now (or is
// discarded: a terminal stop to an orphaned group, or any stop of process 1). Returns whether
// the signal is still to be queued. Needs the tree lock held and `p` not a zombie; takes
// `p`'s threads_lock and actions_lock, and its parent's.
bool prepare_signal_locked(Process& p, int sig, bool to_thread) TA_REQ(g_tree_lock);

// The default action of a stop signal taken off a queue by thread `t` (deliver_signals): stops
// its process unless the signal is a terminal stop to an orphaned group. Takes the tree lock.
void stop_on_delivery(UserThread& t, int sig);

// Parks the calling thread `t` while its process is stopped; returns once it is continued or
// ending (or `t` is, for another thread's execve). Needs: no lock held, interrupts on.
void park_while_stopped(UserThread& t);

// At the end of a process, as Linux's kill_orphaned_pgrp: if the group of `member` is about to
// lose its last member whose parent is outside the group but in the same session, and has a
// stopped member, the group gets SIGHUP, then SIGCONT. `old_parent` null: `member` itself is
// ending (it is a zombie already) and its parent is the link; otherwise `member` is a child of
// the ending `old_parent`, just given to process 1. Needs the tree lock held.
void hang_up_if_orphaned_locked(Process& member, const Process* old_parent) TA_REQ(g_tree_lock);

}  // namespace kproc
