// The process tree's lock and the list of every process, shared by the files of kernel/proc
// (process.cc builds and reaps the tree, job_control.cc stops and continues processes, wait.cc
// reports children). Not for use outside kernel/proc.
#pragma once

#include "kernel/proc/process.h"
#include "smp/locks/locks.h"

namespace kproc {

// The process tree: parent and child links, zombie states, reparenting, process groups and
// sessions, the job-control states (Process::stopped and its reports). Rank 21: the wake-ups
// of child_wait and stop_wait (wait-queue, 25) and the sending of signals (threads_lock,
// actions_lock: unranked) happen inside it.
inline constinit smp::LockClass kTreeClass{"process-tree", smp::LockRank{21}};
using TreeLock = smp::TicketSpinLock<smp::IrqSave, kTreeClass>;
extern TreeLock g_tree_lock;

// Every process, newest first, linked through Process::next_process (tree lock).
extern Process* g_all;

// Signal numbers of job control.
inline constexpr int kSigHup = 1;

}  // namespace kproc
