// Processes and their user threads (docs/user-space.md, "Processes and threads").
//
// A user thread is a kernel thread (kthreads::KThread: its own kernel stack, an FPU area, a
// place in the scheduler) whose switch cookie points at its UserThread: the user context the
// switch hook loads (address space, kernel entry stack, FS/GS bases). All threads of a process
// share its address space and run on any CPU their affinity allows.
//
// A new process comes from fork_process (its own copy-on-write address space) or vfork_process
// (sharing its parent's until it execs).
//
// Lifetime: a process lives until its last thread has exited; then its address space goes
// (kvm::AddressSpace::put) and, for process 1, the kernel reports the exit status and stops.
// Exited threads are joined and freed by the reaper thread (their stacks cannot be freed by
// themselves).
#pragma once

#include <cstdint>

#include "kernel/arch/x86_64/interrupt_frame.h"
#include "kernel/files/fd_table.h"
#include "kernel/fs/ramfs/node.h"
#include "kernel/threads/kernel_scheduler.h"
#include "kernel/threads/kthread.h"
#include "kernel/vm/address_space.h"
#include "sched/wait_queue.h"
#include "smp/atomic.h"
#include "smp/cpu_set.h"
#include "smp/locks/locks.h"
#include "smp/klib/format.h"
#include "smp/klib/result.h"

namespace kproc {

struct Process;

// What a pending signal carries (the fields of siginfo_t that are used here).
struct SignalInfo {
  std::int32_t signo = 0;
  std::int32_t code = 0;    // SI_USER 0, SI_TKILL -6, SI_KERNEL 0x80, or a fault's/CLD_ code
  std::int32_t pid = 0;     // sender (kill), or the child (SIGCHLD)
  std::int32_t uid = 0;
  std::int32_t status = 0;  // SIGCHLD: exit code or signal
  std::uint64_t addr = 0;   // faults: the address
  std::uint64_t value = 0;  // SI_MESGQ: si_value (the mq_notify registration's)
};

struct UserThread {
  Process* process = nullptr;
  kthreads::KThread* kthread = nullptr;  // Process::threads_lock (set when it first runs)
  int tid = 0;
  std::uint64_t fs_base = 0;
  std::uint64_t gs_base = 0;
  std::uint64_t clear_child_tid = 0;   // set_tid_address / CLONE_CHILD_CLEARTID
  std::uint64_t robust_list = 0;       // set_robust_list (recorded)
  std::uint64_t robust_list_length = 0;
  // Signals (kernel/proc/signal.h): the blocked set (written by the thread itself, read by
  // senders choosing a thread), the thread-directed pending set and their details
  // (Process::actions_lock), the alternate stack (the thread itself).
  smp::Atomic<std::uint64_t> signal_mask{0};
  smp::Atomic<std::uint64_t> pending{0};
  SignalInfo pending_info[64];
  std::uint64_t altstack_sp = 0, altstack_size = 0;
  // rt_sigsuspend's mask is temporary: the one to restore after the handler (or at once when
  // no handler runs).
  std::uint64_t saved_mask = 0;
  bool restore_saved_mask = false;
  std::uint32_t altstack_flags = 2;  // SS_DISABLE
  // Where user mode starts: the entry point and stack of a new program, or (clone) a copy of
  // the parent's system-call frame, freed by the thread when it starts.
  std::uint64_t start_rip = 0;
  std::uint64_t start_rsp = 0;
  arch::InterruptFrame* start_frame = nullptr;
  UserThread* next_in_process = nullptr;  // Process::lock
  // CPU time (kernel/proc/cpu_time.h): what this thread has used in user mode and in the
  // kernel, charged by the thread itself (kernel entry and exit) and by its CPU when it is
  // switched out; read by anyone (relaxed: counters). The mark and the mode are the thread's
  // own (its CPU, interrupts off in the switch hook).
  smp::Atomic<std::uint64_t> user_ns{0};
  smp::Atomic<std::uint64_t> system_ns{0};
  std::uint64_t cpu_mark_ns = 0;  // when the time since was last charged
  bool in_kernel = true;          // whether that time is the kernel's (system) or user time
  // Set when another thread of the process execs (exec_current): this one ends at its next
  // return to user mode, as for exit_group, and its blocking waits are interrupted.
  smp::Atomic<bool> killed{false};
};

// Signal actions as rt_sigaction records them (struct kernel_sigaction on x86-64).
struct SignalAction {
  std::uint64_t handler = 0;
  std::uint64_t flags = 0;
  std::uint64_t restorer = 0;
  std::uint64_t mask = 0;
};
inline constexpr int kSignalCount = 64;

// Resource limits (getrlimit/prlimit64), with Linux's resource numbers.
struct ResourceLimit {
  std::uint64_t current;
  std::uint64_t maximum;
};
inline constexpr int kResourceCount = 16;  // RLIM_NLIMITS
inline constexpr int kRlimitStack = 3;
inline constexpr int kRlimitNproc = 6;
inline constexpr int kRlimitNofile = 7;
inline constexpr int kRlimitMsgqueue = 12;  // bytes of POSIX message queues (kernel/ipc)
// Processes alive at once (zombies included): beyond it (or the caller's RLIMIT_NPROC) fork and
// vfork fail with EAGAIN, so a fork bomb stops there.
inline constexpr std::uint32_t kMaxProcesses = 4096;
inline constexpr std::uint64_t kNoLimit = ~0ull;  // RLIM_INFINITY

// The per-process spinlocks, unranked (cycle-checked). Order: threads_lock, then
// actions_lock (a signal sent to one thread is queued under both); cwd_lock alone.
inline constinit smp::LockClass kProcessThreadsClass{"process-threads", smp::LockRank{0}};
inline constinit smp::LockClass kProcessActionsClass{"process-actions", smp::LockRank{0}};
inline constinit smp::LockClass kProcessCwdClass{"process-cwd", smp::LockRank{0}};
template <smp::LockClass& Class>
using ProcessLock = smp::TicketSpinLock<smp::NoIrqSave, Class>;

// What a freed process's pointers hold (non-canonical: any use faults at once), as Linux's
// POISON_POINTER values: a use after free shows up as a fault instead of reading stale data.
inline constexpr std::uint64_t kFreedPointer = 0xdead000000000100;

struct Process {
  Process() = default;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  // Closes what is left of the descriptors (a process that never ran), then poisons the
  // pointers (atomic stores: not removed as dead stores before the free).
  ~Process() {
    delete files;
    __atomic_store_n(&space, reinterpret_cast<kvm::AddressSpace*>(kFreedPointer), __ATOMIC_RELAXED);
    __atomic_store_n(&parent, reinterpret_cast<Process*>(kFreedPointer), __ATOMIC_RELAXED);
    __atomic_store_n(&threads, reinterpret_cast<UserThread*>(kFreedPointer), __ATOMIC_RELAXED);
    __atomic_store_n(&files, reinterpret_cast<kfiles::FdTable*>(kFreedPointer), __ATOMIC_RELAXED);
  }

  int pid = 0;
  int parent_pid = 0;  // tree lock
  int pgid = 0;        // process group (tree lock)
  int sid = 0;         // session (tree lock)
  bool did_exec = false;  // tree lock: setpgid on a child that has exec'd is EACCES
  // tree lock: gave up its session's controlling terminal (TIOCNOTTY by a non-leader);
  // inherited by fork, cleared by setsid (kernel/tty/terminal.h).
  bool tty_detached = false;
  // The program's arguments, NUL-separated, and its path, as exec was given them
  // (/proc/PID/cmdline, /proc/PID/exe). Replaced at exec under the tree lock.
  char cmdline[512] = {};
  std::uint32_t cmdline_length = 0;
  char exe[128] = {};
  std::uint64_t start_ns = 0;  // when it was made (monotonic)
  Process* parent = nullptr;         // tree lock (null for process 1)
  Process* first_child = nullptr;    // tree lock
  Process* next_sibling = nullptr;   // tree lock
  bool zombie = false;               // tree lock: every thread has exited, status is final
  // Bumped (under the tree lock) whenever a child of this process becomes a zombie or releases
  // a vfork parent; waiters in wait4/vfork sleep on child_wait until it changes.
  smp::Atomic<std::uint64_t> child_events{0};
  sched::WaitQueue child_wait;
  // A vfork child: set once it has exec'd or exited, which releases its waiting parent.
  smp::Atomic<bool> vfork_released{false};
  // Signals sent to the whole process (kill), and their details (actions_lock).
  smp::Atomic<std::uint64_t> shared_pending{0};
  SignalInfo shared_info[64];
  Process* next_process = nullptr;  // the list of all processes (tree lock)
  char name[16] = {};
  kvm::AddressSpace* space = nullptr;
  smp::Atomic<std::uint32_t> live_threads{0};
  // Set by exit_group (or a fatal fault): every thread ends at its next return to user mode.
  smp::Atomic<bool> exiting{false};
  // The wait status (as wait4 encodes it) the first exit_group or fatal signal recorded.
  smp::Atomic<int> exit_status{0};
  // Files: the descriptor table (shared by the threads; freed with the last one), the working
  // directory (cwd_lock) and the file-creation mask.
  kfiles::FdTable* files = nullptr;
  ramfs::NodeRef cwd;                    // cwd_lock
  mutable ProcessLock<kProcessCwdClass> cwd_lock;
  smp::Atomic<std::uint32_t> umask{022};
  SignalAction actions[kSignalCount];   // actions_lock
  ResourceLimit limits[kResourceCount];  // actions_lock
  mutable ProcessLock<kProcessActionsClass> actions_lock;
  mutable ProcessLock<kProcessThreadsClass> threads_lock;
  UserThread* threads = nullptr;  // threads_lock
  // Job control (kernel/proc/job_control.h): whether the process is stopped (written under the
  // tree lock, read lock-free by its threads on their way to user mode, where they park on
  // stop_wait), and what its parent's wait has not been told yet: the stop signal (WUNTRACED)
  // or a continue (WCONTINUED), both under the tree lock.
  smp::Atomic<bool> stopped{false};
  int stop_report = 0;
  bool continue_report = false;
  sched::WaitQueue stop_wait;
  // CPU time of the threads that have left it (kernel/proc/cpu_time.h: process_times adds the
  // live threads' own counters), and of its reaped children (theirs and their reaped
  // children's, added at the reap).
  smp::Atomic<std::uint64_t> user_ns{0};
  smp::Atomic<std::uint64_t> system_ns{0};
  smp::Atomic<std::uint64_t> children_user_ns{0};
  smp::Atomic<std::uint64_t> children_system_ns{0};
  // Interval timers (kernel/proc/itimer.h), set under the tree lock, not inherited by fork,
  // kept across execve: ITIMER_REAL's deadline on the monotonic clock (0: disarmed) and
  // period; ITIMER_VIRTUAL's and ITIMER_PROF's deadlines in the process's CPU time (user, and
  // user plus system), read lock-free on the way to user mode.
  std::uint64_t real_timer_deadline = 0;
  std::uint64_t real_timer_interval = 0;
  smp::Atomic<std::uint64_t> cpu_timer_deadline[2] = {};
  smp::Atomic<std::uint64_t> cpu_timer_interval[2] = {};
  // execve from a multi-threaded process (exec_current): set while one thread ends the others
  // and waits on threads_gone (woken by each of them as it exits) until it is the last.
  smp::Atomic<bool> de_thread{false};
  sched::WaitQueue threads_gone;
};

struct ExecError;

// Installs the user-mode hooks (system calls, page faults, user exceptions, the switch hook)
// and starts the reaper. Boot CPU, once, after the scheduler runs and every CPU has its
// syscall MSRs (arch::init_syscall_this_cpu). `exit_delay_ms` (test only, `proc_exit_delay`):
// a process's last thread sleeps that long after its parent could reap it.
void init(std::uint32_t exit_delay_ms);

// Loads `path` from the root file system and starts it as process 1 with argv[0] = path, then
// the blank-separated words of `arguments`, and a minimal environment (HOME=/, TERM=linux,
// PATH). False, after a report naming what failed (no such file, a bad ELF, no memory).
bool start_init(fmt::StringView path, fmt::StringView arguments);

// The calling thread's user context (null in a kernel thread). Inline: every system call asks.
inline UserThread* current_user_thread() {
  sched::Thread* self = kthreads::current();
  return self == nullptr ? nullptr : static_cast<UserThread*>(self->switch_cookie);
}
// The thread making a system call: only user threads make them, so never null.
inline UserThread& calling_user_thread() {
  UserThread* t = current_user_thread();
  if (t == nullptr) __builtin_unreachable();
  return *t;
}

// Creates a user thread of `process` with the user context `initial` (start_rip/start_rsp,
// or start_frame, which it takes over; TLS bases, signal mask, clear_child_tid), on
// `affinity`, with thread ID `tid` (0: a new one). Errors: ENOMEM, EAGAIN (no kernel thread, or
// the process has kMaxThreads already).
klib::Result<UserThread*, int> create_user_thread(Process* process, const UserThread& initial,
                                                  const smp::CpuSet& affinity, int tid = 0);
inline constexpr std::uint32_t kMaxThreads = 4096;
inline constexpr std::uint64_t kDeThreadTimeoutNs = 5'000'000'000;

// Ends the calling thread (exit): the process ends with it when it was the last.
[[noreturn]] void exit_thread(int status_code);
// Ends every thread of the calling thread's process (exit_group, fatal signal): records
// `wait_status` if nobody did first, asks the others to end (they do at their next return to
// user mode; those on other CPUs are sent an IPI), and ends the caller.
[[noreturn]] void exit_process(int wait_status);

// Wait-status encodings (as wait4 reports them).
constexpr int exited_status(int code) { return (code & 0xff) << 8; }
constexpr int signaled_status(int signal) { return signal & 0x7f; }
constexpr int stopped_status(int signal) { return (signal & 0xff) << 8 | 0x7f; }
inline constexpr int kContinuedStatus = 0xffff;

// Sets the calling thread's FS or user GS base (arch_prctl) and loads it on this CPU.
void set_fs_base(UserThread& self, std::uint64_t base);
void set_gs_base(UserThread& self, std::uint64_t base);

// vfork (and clone with CLONE_VM|CLONE_VFORK): a child process sharing the caller's address
// space, whose one thread resumes from `frame` (rax 0; on `stack` when nonzero); the caller
// sleeps until the child has exec'd or exited. Returns the child's PID or -errno (EAGAIN at
// the process limits, as fork_process; ENOMEM).
std::int64_t vfork_process(const arch::InterruptFrame& frame, std::uint64_t stack);

// fork (and clone without CLONE_VM): what clone's arguments ask besides a copy.
struct ForkOptions {
  std::uint64_t stack = 0;              // nonzero: the child's stack pointer
  std::uint64_t child_tid_address = 0;  // CLONE_CHILD_SETTID: the child's TID there, in its memory
  std::uint64_t clear_child_tid = 0;    // CLONE_CHILD_CLEARTID
  bool set_tls = false;                 // CLONE_SETTLS: the child's FS base is `tls`
  std::uint64_t tls = 0;
};

// A child process with a copy-on-write copy of the caller's address space
// (kvm::AddressSpace::fork), its descriptors, working directory, signal actions, limits and
// umask, whose one thread resumes from `frame` with rax 0. The caller goes on at once. Returns
// the child's PID, or EAGAIN (kMaxProcesses or RLIMIT_NPROC reached, no kernel thread),
// ENOMEM (everything of the child released), EINTR (the caller's process is ending).
klib::Result<int, int> fork_process(const arch::InterruptFrame& frame, const ForkOptions& options);

// execve for the calling thread: replaces its process's program with `args` (already copied
// into the kernel) and points `frame` at the new entry. Returns 0 or -errno (the old program
// goes on). In a multi-threaded process the other threads are ended first (woken or kicked,
// each leaves at its next return to user mode) and waited for, at most kDeThreadTimeoutNs
// (then the process is killed: they could not be ended), and the caller takes the process's
// PID as its thread ID, as Linux's de_thread. -EINTR when the process is ending or another
// of its threads execs at the same time (this one is then ended by it).
std::int64_t exec_current(const struct ProgramArgs& args, arch::InterruptFrame& frame);

// wait4 and waitid: which children a wait is for, and what it wants to hear of them.
enum class WaitWhich { kAny, kPid, kGroup };
struct WaitRequest {
  WaitWhich which = WaitWhich::kAny;
  int id = 0;              // kPid: the child's PID; kGroup: the group (0: the caller's)
  bool exited = true;      // WEXITED: an end (the child is reaped unless `nowait`)
  bool stopped = false;    // WSTOPPED (WUNTRACED): a stop not reported yet
  bool continued = false;  // WCONTINUED: a continue not reported yet
  bool nohang = false;     // WNOHANG
  bool nowait = false;     // WNOWAIT: report without consuming the event
};
// What a wait found.
struct WaitResult {
  int pid = 0;
  int status = 0;          // as wait4 encodes it
  std::int32_t code = 0;   // waitid's si_code: CLD_EXITED, CLD_KILLED, CLD_STOPPED, CLD_CONTINUED
  int si_status = 0;       // waitid's si_status: the exit code or the signal
  std::uint64_t user_ns = 0, system_ns = 0;  // the child's CPU time with its reaped children's
};
// The event of one child `request` selects, to `*result`; sleeps until there is one unless
// `request.nohang`. A reaped child's CPU time is added to the caller's children's. Returns the
// child's PID, 0 (WNOHANG and none yet), or -ECHILD (no such child) / -EINTR / kRestartSys.
// No wake-up is lost between the look and the sleep (Process::child_events). Takes the tree lock.
std::int64_t wait_child(const WaitRequest& request, WaitResult* result);

// The kernel's main thread, after start_init: sleeps until process 1 has ended, waits (bounded)
// for its threads to be reaped, logs its exit status and the leak check (every process, user
// thread, user page, futex waiter and open file gone; kernel threads as before init; heap
// objects and free memory reported, not judged: the file system keeps what programs wrote), and
// returns the wait status to report: init's own, or a failure when the leak check failed.
int wait_for_init_end();

// The affinity of thread `tid` of any process (false: no such started thread). Takes the tree
// lock, then that process's thread lock.
bool thread_affinity(int tid, smp::CpuSet* affinity);
// Sets it; a thread on a CPU it may no longer use moves at its next return to user mode (its
// CPU is sent a reschedule IPI so that happens soon). False: no such started thread.
bool set_thread_affinity(int tid, const smp::CpuSet& affinity);

// Process groups and sessions: setpgid, getpgid, setsid, getsid (0, or -errno as Linux).
std::int64_t set_process_group(int pid, int pgid);
std::int64_t process_group_of(int pid);
std::int64_t new_session();
std::int64_t session_of(int pid);

// The calling process as the terminal's job-control checks see it (kernel/tty/terminal.h),
// taken under the tree lock: its IDs, whether it leads its session, whether it gave up the
// controlling terminal (TIOCNOTTY), and whether its process group is orphaned (no member has a
// parent in another group of the same session, parents that are process 1 not counting, as
// Linux's will_become_orphaned_pgrp).
struct JobControlView {
  int pid = 0, pgid = 0, sid = 0;
  bool tty_detached = false;
  bool group_orphaned = false;
};
JobControlView job_control_view();
// Whether process group `pgid` has a member in session `sid`, zombies included (TIOCSPGRP).
bool group_in_session(int pgid, int sid);
// Whether the leader of session `sid` is alive (not a zombie): a session keeps its controlling
// terminal until its leader exits.
bool session_leader_alive(int sid);
// TIOCNOTTY by a process that does not lead its session: it alone loses the terminal.
void detach_tty();

// What /proc shows of a process: a snapshot taken under the tree lock.
struct ProcessSnapshot {
  int pid = 0, ppid = 0, pgid = 0, sid = 0;
  char name[16] = {};
  char state = 'R';  // R running or runnable, S every thread asleep, T stopped (job control), Z zombie
  std::uint32_t threads = 0;
  std::uint32_t cpu = 0;  // where its first thread last ran
  std::uint64_t resident_pages = 0;
  std::uint64_t start_ns = 0;
  std::uint64_t user_ns = 0, system_ns = 0;                    // CPU time (cpu_time.h)
  std::uint64_t children_user_ns = 0, children_system_ns = 0;  // of its reaped children
  char cmdline[512] = {};
  std::uint32_t cmdline_length = 0;
  char exe[128] = {};
};
// The snapshot of `pid` (false: no such process).
bool snapshot_process(int pid, ProcessSnapshot* out);
// A reference to the address space of `pid` (put() it when done), or null (no such process,
// or a zombie).
kvm::AddressSpace* acquire_space(int pid);
// Up to `max` process IDs, ascending; returns how many there are in all.
std::uint32_t list_processes(int* pids, std::uint32_t max);

// A new process/thread ID (they share one space, as on Linux).
int allocate_id();

// Live counts, for leak checks.
std::uint32_t live_processes();
std::uint32_t live_user_threads();

}  // namespace kproc
