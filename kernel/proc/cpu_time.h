// CPU time of user threads and processes (docs/user-space.md, "CPU time").
//
// Charged at the edges, not sampled per tick: the time since a thread's last mark goes to user
// time when it enters the kernel (a system call, a page fault, a user exception), to system
// time when it returns to user mode from a system call or fault, and to whichever it was
// running in when it is switched out; a switch-in sets the mark. Edges give exact times for a
// thread that makes system calls (times(2) around a loop of getpid() sees system time that a
// 10 ms tick would mostly miss). An interrupt from user mode has no entry hook: its (short)
// handler counts as user time, as does the time up to a preemption at the tick, which the
// switch charges. A charge writes the thread's own counters only (one writer, no atomic
// read-modify-write on a line the process's threads share, twice per system call); a thread's
// counters go into its process's totals (Process::user_ns, system_ns) when it leaves the
// process, so a process's time is those totals plus its live threads' counters
// (process_times).
#pragma once

#include <cstdint>

#include "kernel/proc/process.h"
#include "sched/thread.h"

namespace kproc {

// The calling thread `t` enters the kernel from user mode: its time since the mark was user
// time. Interrupts may be on (they are turned off for the update).
void charge_kernel_entry(UserThread& t);
// The calling thread `t` returns to user mode: its time since the mark was system time, unless
// it came in by an interrupt (then user time).
void charge_return_to_user(UserThread& t);
// The switch hook, interrupts off: `from` leaves this CPU and `to` starts running on it (user
// threads are charged; the CPU's idle time is counted).
void charge_switch(sched::Thread* from, sched::Thread* to);
// The calling thread's time up to now (in the kernel: system time), before it exits or reads
// its counters.
void charge_now(UserThread& t);

struct CpuTimes {
  std::uint64_t user_ns = 0;
  std::uint64_t system_ns = 0;
};
// The time the calling thread has used, up to now (what is not charged yet included).
CpuTimes current_thread_times();
// The time every thread of the caller's process has used (the caller's up to now).
CpuTimes current_process_times();
// The time every thread of `p` has used: its exited threads' and its live ones' as charged so
// far. Takes p.threads_lock (so not under it; under the process-tree lock is fine).
CpuTimes process_times(const Process& p);
// `t` leaves `p` (under p.threads_lock, in the same section that unlinks it, so every read of
// process_times counts its time exactly once): its counters go into the process's totals.
void fold_into_process(Process& p, const UserThread& t);
// The time of the caller's reaped children (and theirs).
CpuTimes children_times(const Process& p);

// What CPU `cpu` has done since the hooks were installed (/proc/stat, /proc/uptime): user
// threads in user mode, idle, and the rest (the kernel: system calls, kernel threads,
// interrupts).
struct CpuUsage {
  std::uint64_t user_ns = 0;
  std::uint64_t system_ns = 0;
  std::uint64_t idle_ns = 0;
};
CpuUsage cpu_usage(std::uint32_t cpu);

}  // namespace kproc
