#include "kernel/proc/process.h"

#include "kernel/arch/x86_64/user_copy.h"
#include "kernel/files/devices.h"
#include "kernel/fs/initramfs/boot_archive.h"
#include "kernel/proc/exec.h"
#include "kernel/proc/cpu_time.h"
#include "kernel/proc/futex.h"
#include "kernel/proc/itimer.h"
#include "kernel/proc/job_control.h"
#include "kernel/proc/process_tree.h"
#include "kernel/proc/signal.h"
#include "kernel/proc/user_entry.h"
#include "kernel/vm/file_mappers.h"
#include "kernel/vm/frame_shares.h"
#include "smp/klib/words.h"

#include <atomic>
#include <new>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/descriptors.h"
#include "kernel/arch/x86_64/user_mode.h"
#include "kernel/console/log.h"
#include "kernel/core/panic.h"
#include "kernel/mm/heap.h"
#include "kernel/mm/kernel_heap.h"
#include "kernel/mm/mm.h"
#include "kernel/threads/sleep_queue.h"
#include "kernel/time/clock.h"
#include "sched/sync/completion.h"
#include "kernel/cpus/ipi/reschedule.h"
#include "kernel/threads/kernel_scheduler.h"
#include "kernel/tty/terminal.h"
#include "sched/sync/semaphore.h"
#include "smp/locks/guard.h"

namespace kproc {

TreeLock g_tree_lock;
Process* g_all = nullptr;

namespace {

// Thread and process IDs share one space, as on Linux (a process's ID is its first thread's).
std::atomic<int> g_next_id{1};
std::atomic<std::uint32_t> g_live_processes{0};
std::atomic<std::uint32_t> g_live_threads{0};

// Exited user threads wait here for the reaper, which joins them (frees stack and FPU area)
// and frees their UserThread. Rank 0: a leaf, taken with nothing else held.
constinit smp::LockClass kReaperClass{"user-reaper", smp::LockRank{0}};
smp::TicketSpinLock<smp::IrqSave, kReaperClass> g_dead_lock;
UserThread* g_dead TA_GUARDED(g_dead_lock) = nullptr;
sched::Semaphore g_dead_count;

Process* g_init = nullptr;  // process 1, the reaper of orphans (tree lock)
Process* g_init_process = nullptr;  // process 1 for wait_for_init_end (tree lock)

// A thread that is gone must be off its CPU within this (kthreads::join's own limit is 1 s).
constexpr std::uint64_t kJoinTimeoutNs = 5'000'000'000;
// The reaper wakes at least this often (a wait with a deadline, as every wait has).
constexpr std::uint64_t kReaperPollNs = 1'000'000'000;

void reaper(void*) {
  for (;;) {
    if (!g_dead_count.down_for(kReaperPollNs)) continue;
    UserThread* t;
    {
      smp::Guard g{g_dead_lock};
      t = g_dead;
      if (t != nullptr) g_dead = t->next_in_process;
    }
    if (t == nullptr) continue;
    if (!kthreads::join(t->kthread, kJoinTimeoutNs)) {
      panic("proc: exited thread {} did not leave its CPU", t->tid);
    }
    delete t;
    g_live_threads.fetch_sub(1, std::memory_order_relaxed);
  }
}

// What was allocated before process 1 started, for the leak check once it has gone.
struct Baseline {
  std::uint64_t files = 0;
  std::uint32_t kernel_threads = 0;
  std::uint64_t heap_small = 0, heap_large = 0;
  std::uint64_t free_bytes = 0;
};
Baseline g_baseline;
std::uint32_t g_exit_delay_ms = 0;  // proc_exit_delay (test only); set once at init
sched::Completion g_init_gone;  // completed by init's last thread, after its zombie state
int g_init_status = 0;

void unlink_thread(Process& p, UserThread* t) {
  smp::Guard g{p.threads_lock};
  for (UserThread** link = &p.threads; *link != nullptr; link = &(*link)->next_in_process) {
    if (*link == t) {
      *link = t->next_in_process;
      fold_into_process(p, *t);
      return;
    }
  }
}

// The last thread of `p` has gone: its children go to process 1, its parent is told (and, for a
// vfork child that never exec'd, released).
void become_zombie(Process& p) {
  smp::Guard g{g_tree_lock};
  while (Process* c = p.first_child) {
    p.first_child = c->next_sibling;
    c->parent = g_init;
    c->parent_pid = g_init != nullptr ? g_init->pid : 0;
    if (g_init != nullptr) {
      c->next_sibling = g_init->first_child;
      g_init->first_child = c;
      hang_up_if_orphaned_locked(*c, &p);
      if (c->zombie) {
        g_init->child_events.fetch_add(1);
        (void)g_init->child_wait.wake_all(kthreads::scheduler());
      }
    } else {
      c->next_sibling = nullptr;  // no init: nobody will reap it (the machine stops with init)
    }
  }
  p.zombie = true;
  p.stopped.store(false);  // SIGKILL ends a stopped process: nothing left to report as stopped
  p.stop_report = 0;
  p.continue_report = false;
  hang_up_if_orphaned_locked(p, nullptr);
  p.vfork_released.store(true);
  if (p.parent != nullptr) {
    p.parent->child_events.fetch_add(1);
    (void)p.parent->child_wait.wake_all(kthreads::scheduler());
    // SIGCHLD (ignored unless the parent installed a handler).
    const int status = p.exit_status.load();
    SignalInfo info;
    info.code = (status & 0x7f) != 0 ? kCldKilled : kCldExited;
    info.pid = p.pid;
    info.status = (status & 0x7f) != 0 ? (status & 0x7f) : (status >> 8) & 0xff;
    (void)send_to_process(*p.parent, kSigChld, info);
  }
}

void register_process(Process& p) {
  smp::Guard g{g_tree_lock};
  p.next_process = g_all;
  g_all = &p;
}

void unregister_process(Process& p) {
  smp::Guard g{g_tree_lock};
  for (Process** link = &g_all; *link != nullptr; link = &(*link)->next_process) {
    if (*link == &p) {
      *link = p.next_process;
      return;
    }
  }
}

void link_child(Process& parent, Process& child) {
  smp::Guard g{g_tree_lock};
  child.parent = &parent;
  child.parent_pid = parent.pid;
  child.next_sibling = parent.first_child;
  parent.first_child = &child;
}

void unlink_child(Process& parent, Process& child) {
  smp::Guard g{g_tree_lock};
  for (Process** link = &parent.first_child; *link != nullptr; link = &(*link)->next_sibling) {
    if (*link == &child) {
      *link = child.next_sibling;
      return;
    }
  }
}

void copy_name(Process& p, fmt::StringView path) {
  std::size_t begin = path.length;
  while (begin > 0 && path.data[begin - 1] != '/') --begin;
  std::size_t i = 0;
  for (; i < sizeof(p.name) - 1 && begin + i < path.length; ++i) p.name[i] = path.data[begin + i];
  p.name[i] = '\0';
}

// Process 1's descriptors 0, 1 and 2 (the console, opened read-write once, as Linux's
// init/main.c does with /dev/console) and its working directory (the root).
bool setup_init_files(Process& p) {
  p.files = new (std::nothrow) kfiles::FdTable;
  if (p.files == nullptr) return false;
  if (ramfs::Filesystem* fs = initramfs::root_filesystem()) p.cwd = fs->root();
  kfiles::File* console = kfiles::open_console(kfiles::kReadWrite);
  if (console == nullptr) return false;
  console->get();
  console->get();
  for (int fd = 0; fd < 3; ++fd) {
    if (p.files->install_at(fd, kfiles::FileRef{console}, false) != fd) return false;
  }
  return true;
}

// The NUL-separated arguments and the path for /proc (cut to the buffers' sizes).
void record_command(Process& p, const fmt::StringView* argv, std::uint32_t argc, fmt::StringView path) {
  smp::Guard g{g_tree_lock};
  std::uint32_t n = 0;
  for (std::uint32_t i = 0; i < argc && n < sizeof(p.cmdline); ++i) {
    for (std::size_t j = 0; j < argv[i].length && n < sizeof(p.cmdline) - 1; ++j) p.cmdline[n++] = argv[i].data[j];
    if (n < sizeof(p.cmdline)) p.cmdline[n++] = '\0';
  }
  p.cmdline_length = n;
  std::size_t i = 0;
  for (; i < path.length && i < sizeof(p.exe) - 1; ++i) p.exe[i] = path.data[i];
  p.exe[i] = '\0';
}

void thread_main(void* arg) {
  auto* t = static_cast<UserThread*>(arg);
  {
    smp::Guard g{t->process->threads_lock};
    t->kthread = static_cast<kthreads::KThread*>(kthreads::current());
  }
  // Ended before it first ran (exit_group, another thread's execve): it never reaches user mode.
  if (t->killed.load() || t->process->exiting.load()) exit_thread(0);
  // The switch hook already loaded our address space, entry stack and TLS bases.
  if (t->start_frame != nullptr) {
    arch::InterruptFrame frame = *t->start_frame;
    delete t->start_frame;
    t->start_frame = nullptr;
    charge_return_to_user(*t);
    arch::return_to_user(frame);
  }
  charge_return_to_user(*t);
  arch::enter_user_mode(t->start_rip, t->start_rsp);
}

}  // namespace

klib::Result<UserThread*, int> create_user_thread(Process* process, const UserThread& initial,
                                                  const smp::CpuSet& affinity, int tid) {
  if (process->live_threads.load() >= kMaxThreads) return klib::make_error(11);  // EAGAIN
  auto* t = new (std::nothrow) UserThread;
  if (t == nullptr) return klib::make_error(12);  // ENOMEM
  t->process = process;
  t->tid = tid != 0 ? tid : g_next_id.fetch_add(1, std::memory_order_relaxed);
  t->start_rip = initial.start_rip;
  t->start_rsp = initial.start_rsp;
  t->start_frame = initial.start_frame;
  t->fs_base = initial.fs_base;
  t->gs_base = initial.gs_base;
  t->signal_mask.store(initial.signal_mask.load());
  t->clear_child_tid = initial.clear_child_tid;
  {
    smp::Guard g{process->threads_lock};
    t->next_in_process = process->threads;
    process->threads = t;
  }
  process->live_threads.fetch_add(1);
  g_live_threads.fetch_add(1, std::memory_order_relaxed);
  kthreads::ThreadOptions options;
  options.name = process->name;
  options.affinity = affinity;
  options.uses_fpu = true;
  options.switch_cookie = t;
  // It may run (on another CPU) before create_thread returns: everything the switch hook and
  // thread_main read is set above or comes from the KThread itself.
  auto created = kthreads::create_thread(options, &thread_main, t);
  if (!created) {
    unlink_thread(*process, t);
    process->live_threads.fetch_sub(1);
    g_live_threads.fetch_sub(1, std::memory_order_relaxed);
    delete t;
    return klib::make_error(11);  // EAGAIN, as clone when threads cannot be made
  }
  return t;
}

[[noreturn]] void exit_thread(int code) {
  UserThread* t = current_user_thread();
  if (t == nullptr) panic("proc: exit_thread from a kernel thread");
  Process* p = t->process;
  if (t->clear_child_tid != 0) {
    // CLONE_CHILD_CLEARTID / set_tid_address: zero the word and wake one waiter (a joiner);
    // a bad address is ignored, as on Linux.
    const std::uint32_t zero = 0;
    if (arch::copy_to_user(t->clear_child_tid, &zero, sizeof(zero))) {
      (void)futex_wake(p->space, t->clear_child_tid, 1, kFutexBitsetAll);
    }
  }
  charge_now(*t);  // its time up to here counts, in its process's totals before the reap
  // From here on this thread runs kernel code only, and its process may end and be reaped (by
  // its parent, on another CPU) before the thread has left: the switch hook must no longer
  // find the process through it. So it becomes a kernel thread for the hook, which then keeps
  // whatever address space is loaded. Interrupts off: the hook reads the cookie on this CPU.
  {
    const std::uint64_t flags = arch::read_rflags();
    arch::cli();
    kthreads::current()->switch_cookie = nullptr;
    if (flags & arch::kRflagsIf) arch::sti();
  }
  unlink_thread(*p, t);
  const bool last = p->live_threads.fetch_sub(1) == 1;
  // Another thread execs and waits for the others to be gone (the process lives on in it).
  if (!last && p->de_thread.load()) (void)p->threads_gone.wake_all(kthreads::scheduler());
  if (last) {
    // exit() of the last thread without an exit_group before: its code is the status.
    bool expected = false;
    if (p->exiting.compare_exchange_strong(expected, true)) p->exit_status.store(exited_status(code));
    kvm::AddressSpace* space = p->space;
    p->space = nullptr;
    space->put();
    // Its descriptors close now, not when it is reaped (a pipe's reader sees EOF at once).
    delete p->files;
    p->files = nullptr;
    {
      smp::Guard g{p->cwd_lock};
      p->cwd.reset();
    }
    if (p->pid == 1) {
      // Nobody reaps process 1: its end is the end of the run (wait_for_init_end).
      g_init_status = p->exit_status.load();
      {
        smp::Guard g{g_tree_lock};
        g_init = nullptr;
      }
      become_zombie(*p);
      g_init_gone.complete();
    } else {
      become_zombie(*p);  // p may be reaped and freed from here on: not touched again
      if (g_exit_delay_ms != 0) kthreads::sleep_for(g_exit_delay_ms * 1'000'000ull);
    }
  }
  {
    smp::Guard g{g_dead_lock};
    t->next_in_process = g_dead;
    g_dead = t;
  }
  g_dead_count.up();
  kthreads::exit_thread();
}

[[noreturn]] void exit_process(int wait_status) {
  UserThread* self = current_user_thread();
  if (self == nullptr) panic("proc: exit_process from a kernel thread");
  Process* p = self->process;
  bool expected = false;
  if (p->exiting.compare_exchange_strong(expected, true)) p->exit_status.store(wait_status);
  // The others end at their next return to user mode. Each is woken if it sleeps (every wait
  // of a user thread re-checks interrupted(), which `exiting` makes true: futexes, pipes, poll,
  // wait4, vfork, the console) and its CPU kicked if it runs, so that a thread spinning in user
  // mode enters the kernel now (its reschedule IPI's return path).
  {
    smp::Guard g{p->threads_lock};
    for (UserThread* t = p->threads; t != nullptr; t = t->next_in_process) {
      if (t == self || t->kthread == nullptr) continue;
      (void)kthreads::scheduler().wake(*t->kthread);
      if (t->kthread->on_cpu.load()) kcpus::send_reschedule(t->kthread->cpu.load());
    }
  }
  exit_thread(0);
}

bool start_init(fmt::StringView path, fmt::StringView arguments) {
  constexpr std::uint32_t kMaxInitArgs = 32;
  fmt::StringView argv[kMaxInitArgs + 1];
  std::uint32_t argc = 0;
  argv[argc++] = path;
  bool too_many = false;
  klib::for_each_word(arguments, [&](const klib::Word& w) {
    if (argc == kMaxInitArgs + 1) {
      too_many = true;
      return false;
    }
    argv[argc++] = w.whole;
    return true;
  });
  if (too_many) klog::warn("init: more than {} arguments; the rest are dropped", kMaxInitArgs);
  const fmt::StringView envp[] = {"HOME=/", "TERM=linux", "PATH=/bin:/sbin:/usr/bin:/usr/sbin"};

  // Counted before anything of process 1 exists (the reaper runs already).
  const mm::HeapStats heap = mm::kernel_heap()->stats();
  g_baseline = Baseline{kfiles::live_files(), kthreads::live_threads(), heap.small_in_use,
                        heap.large_in_use, mm::stats().free_bytes};
  auto* p = new (std::nothrow) Process;
  kvm::AddressSpace* space = kvm::AddressSpace::create();
  if (p == nullptr || space == nullptr) {
    klog::error("init: no memory for process 1");
    delete p;
    if (space != nullptr) space->put();
    return false;
  }
  p->space = space;
  if (!setup_init_files(*p)) {
    klog::error("init: no memory for process 1's descriptors");
    space->put();
    delete p;
    return false;
  }
  copy_name(*p, path);  // the last component, cut to 15 bytes (as Linux's comm)
  record_command(*p, argv, argc, path);
  p->start_ns = ktime::now_ns();
  for (ResourceLimit& l : p->limits) l = {kNoLimit, kNoLimit};
  p->limits[kRlimitStack] = {kvm::kStackSize, kNoLimit};
  p->limits[kRlimitNofile] = {1024, 4096};
  p->limits[kRlimitMsgqueue] = {819200, 819200};  // Linux's MQ_BYTES_MAX
  ProgramArgs args;
  args.argv = argv;
  args.argc = argc;
  args.envp = envp;
  args.envc = sizeof(envp) / sizeof(envp[0]);
  args.path = path;
  auto loaded = load_program(*space, args);
  if (!loaded) {
    klog::error("init: cannot run {}: {} (errno {})", path, loaded.error().message,
                loaded.error().errno_value);
    space->put();
    delete p;
    return false;
  }
  p->pid = g_next_id.fetch_add(1, std::memory_order_relaxed);  // also its first thread's ID
  p->parent_pid = 0;
  g_live_processes.fetch_add(1, std::memory_order_relaxed);
  // Everything about the process is in place, and logged, before its thread can run: it may
  // fork, ask for its group or write to the console at once.
  p->pgid = p->sid = p->pid;
  register_process(*p);
  {
    smp::Guard g{g_tree_lock};
    g_init = p;
    g_init_process = p;
  }
  // Its console (descriptors 0-2) is its session's controlling terminal (docs/terminal.md).
  ktty::attach_init_session(p->sid);
  const std::uint64_t since_entry_us = ktime::since_entry_ns() / 1000;
  klog::info("init: starting {} as pid {} ({} arguments), {}.{:03} ms after the kernel's entry", path,
             p->pid, argc - 1, since_entry_us / 1000, since_entry_us % 1000);
  UserThread initial;
  initial.start_rip = loaded.value().entry;
  initial.start_rsp = loaded.value().stack_pointer;
  auto thread = create_user_thread(p, initial, {}, p->pid);
  if (!thread) {
    klog::error("init: cannot start {}'s thread (errno {})", path, thread.error());
    {
      smp::Guard g{g_tree_lock};
      g_init = nullptr;
      g_init_process = nullptr;
    }
    unregister_process(*p);
    g_live_processes.fetch_sub(1, std::memory_order_relaxed);
    space->put();
    delete p;
    return false;
  }
  return true;
}

void init(std::uint32_t exit_delay_ms) {
  g_exit_delay_ms = exit_delay_ms;
  (void)kvm::init_frame_shares(mm::stats().total_bytes / kvm::kPageSize);  // reports a failure
  install_user_hooks();
  kthreads::ThreadOptions options;
  options.name = "reaper";
  auto started = kthreads::create_thread(options, &reaper, nullptr);
  if (!started) panic("proc: cannot start the reaper: {}", started.error());
  start_timer_thread();
}

namespace {

// What a new process inherits from its parent besides memory: name, signal actions, limits,
// descriptors (a copy of the table), working directory, umask. False: no memory for the table.
bool inherit(Process& parent, Process& child) {
  __builtin_memcpy(child.name, parent.name, sizeof(child.name));
  {
    smp::Guard g{parent.actions_lock};
    for (int i = 0; i < kSignalCount; ++i) child.actions[i] = parent.actions[i];
    for (int i = 0; i < kResourceCount; ++i) child.limits[i] = parent.limits[i];
  }
  child.files = parent.files->copy();
  if (child.files == nullptr) return false;
  {
    smp::Guard g{parent.cwd_lock};
    if (parent.cwd) child.cwd = ramfs::NodeRef::share(*parent.cwd);
  }
  child.umask.store(parent.umask.load());
  __builtin_memcpy(child.cmdline, parent.cmdline, sizeof(child.cmdline));
  child.cmdline_length = parent.cmdline_length;
  __builtin_memcpy(child.exe, parent.exe, sizeof(child.exe));
  child.start_ns = ktime::now_ns();
  {
    smp::Guard g{g_tree_lock};
    child.pgid = parent.pgid;
    child.sid = parent.sid;
    child.tty_detached = parent.tty_detached;
  }
  return true;
}

// Counts one more process unless that would pass the global limit or the caller's
// RLIMIT_NPROC (every process belongs to root, the one user: the count is the global one,
// zombies included, as Linux counts a user's tasks until they are reaped).
bool reserve_process(Process& caller) {
  std::uint64_t nproc;
  {
    smp::Guard g{caller.actions_lock};
    nproc = caller.limits[kRlimitNproc].current;
  }
  const std::uint32_t before = g_live_processes.fetch_add(1, std::memory_order_relaxed);
  if (before >= kMaxProcesses || before >= nproc) {
    g_live_processes.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  return true;
}

}  // namespace

klib::Result<int, int> fork_process(const arch::InterruptFrame& frame, const ForkOptions& options) {
  UserThread* self = current_user_thread();
  Process* parent = self->process;
  if (parent->exiting.load()) return klib::make_error(4);  // EINTR
  if (!reserve_process(*parent)) return klib::make_error(11);  // EAGAIN
  auto* child = new (std::nothrow) Process;
  auto* start = new (std::nothrow) arch::InterruptFrame(frame);
  auto space = parent->space->fork();
  if (child == nullptr || start == nullptr || !space || !inherit(*parent, *child)) {
    if (space) space.value()->put();
    delete child;  // closes a copied table
    delete start;
    g_live_processes.fetch_sub(1, std::memory_order_relaxed);
    return klib::make_error(12);  // ENOMEM
  }
  child->space = space.value();
  start->rax = 0;  // the child sees 0
  if (options.stack != 0) start->rsp = options.stack;
  child->pid = allocate_id();
  // CLONE_CHILD_SETTID: the child's TID in the child's memory, before it can run (Linux
  // writes it first thing in the child; a fault is ignored, as there).
  if (options.child_tid_address != 0) {
    (void)child->space->write(options.child_tid_address, &child->pid, sizeof(child->pid));
  }
  link_child(*parent, *child);
  register_process(*child);
  UserThread initial;
  initial.start_frame = start;
  initial.fs_base = options.set_tls ? options.tls : self->fs_base;
  initial.gs_base = self->gs_base;
  initial.signal_mask.store(self->signal_mask.load());
  initial.clear_child_tid = options.clear_child_tid;
  auto created = create_user_thread(child, initial, kthreads::current()->affinity, child->pid);
  if (!created) {
    unlink_child(*parent, *child);
    unregister_process(*child);
    child->space->put();
    child->space = nullptr;
    delete start;
    delete child;
    g_live_processes.fetch_sub(1, std::memory_order_relaxed);
    return klib::make_error(created.error());
  }
  return child->pid;
}

std::int64_t vfork_process(const arch::InterruptFrame& frame, std::uint64_t stack) {
  UserThread* self = current_user_thread();
  Process* parent = self->process;
  if (parent->exiting.load()) return -4;  // EINTR
  auto* child = new (std::nothrow) Process;
  auto* start = new (std::nothrow) arch::InterruptFrame(frame);
  if (child == nullptr || start == nullptr) {
    delete child;
    delete start;
    return -12;  // ENOMEM
  }
  start->rax = 0;
  if (stack != 0) start->rsp = stack;
  if (!reserve_process(*parent)) {
    delete child;
    delete start;
    return -11;  // EAGAIN
  }
  child->pid = allocate_id();
  if (!inherit(*parent, *child)) {
    delete start;
    delete child;
    g_live_processes.fetch_sub(1, std::memory_order_relaxed);
    return -12;  // ENOMEM
  }
  parent->space->get();
  child->space = parent->space;
  link_child(*parent, *child);
  register_process(*child);
  const std::uint64_t events = parent->child_events.load();
  UserThread initial;
  initial.start_frame = start;
  initial.fs_base = self->fs_base;
  initial.gs_base = self->gs_base;
  initial.signal_mask.store(self->signal_mask.load());
  auto created = create_user_thread(child, initial, kthreads::current()->affinity, child->pid);
  if (!created) {
    unlink_child(*parent, *child);
    unregister_process(*child);
    child->space->put();
    delete start;
    delete child;
    g_live_processes.fetch_sub(1, std::memory_order_relaxed);
    return -created.error();
  }
  // Until the child has exec'd or exited it runs on our stack: we sleep. Woken by the child
  // (become_zombie, exec_current) or by the end of our own process.
  (void)events;
  parent->child_wait.wait(kthreads::scheduler(), [&] {
    return child->vfork_released.load(std::memory_order_acquire) ||
           parent->exiting.load(std::memory_order_acquire);
  });
  return child->pid;
}

namespace {

// The child `c`'s total CPU time: its own and its reaped children's.
void child_times(const Process& c, WaitResult* result) {
  result->user_ns = c.user_ns.load(std::memory_order_relaxed) +
                    c.children_user_ns.load(std::memory_order_relaxed);
  result->system_ns = c.system_ns.load(std::memory_order_relaxed) +
                      c.children_system_ns.load(std::memory_order_relaxed);
}

// What child `c` has to report to `request`, if anything (tree lock held): its end, its stop
// or its continue, in that order, as Linux's wait_consider_task. Unless WNOWAIT, a stop or
// continue report is consumed here; an end is consumed by the caller (the reap).
bool collect_locked(Process& c, const WaitRequest& request, WaitResult* result) TA_REQ(g_tree_lock) {
  if (c.zombie) {
    if (!request.exited) return false;
    const int status = c.exit_status.load();
    result->status = status;
    result->code = (status & 0x7f) != 0 ? kCldKilled : kCldExited;
    result->si_status = (status & 0x7f) != 0 ? (status & 0x7f) : (status >> 8) & 0xff;
  } else if (request.stopped && c.stop_report != 0) {
    result->status = stopped_status(c.stop_report);
    result->code = kCldStopped;
    result->si_status = c.stop_report;
    if (!request.nowait) c.stop_report = 0;
  } else if (request.continued && c.continue_report) {
    result->status = kContinuedStatus;
    result->code = kCldContinued;
    result->si_status = kSigCont;
    if (!request.nowait) c.continue_report = false;
  } else {
    return false;
  }
  result->pid = c.pid;
  child_times(c, result);
  return true;
}

}  // namespace

std::int64_t wait_child(const WaitRequest& request, WaitResult* result) {
  Process* self = current_user_thread()->process;
  for (;;) {
    std::uint64_t seen;
    Process* reaped = nullptr;
    bool any = false, found = false;
    {
      smp::Guard g{g_tree_lock};
      seen = self->child_events.load();
      const int group = request.which == WaitWhich::kGroup && request.id == 0 ? self->pgid : request.id;
      for (Process** link = &self->first_child; *link != nullptr; link = &(*link)->next_sibling) {
        Process* c = *link;
        if (request.which == WaitWhich::kPid && c->pid != request.id) continue;
        if (request.which == WaitWhich::kGroup && c->pgid != group) continue;
        any = true;
        if (!collect_locked(*c, request, result)) continue;
        found = true;
        if (c->zombie && !request.nowait) {
          *link = c->next_sibling;
          reaped = c;
        }
        break;
      }
    }
    if (reaped != nullptr) {
      // Its time, and its children's, count as the caller's children's from now on.
      self->children_user_ns.fetch_add(result->user_ns, std::memory_order_relaxed);
      self->children_system_ns.fetch_add(result->system_ns, std::memory_order_relaxed);
      unregister_process(*reaped);
      delete reaped;
      g_live_processes.fetch_sub(1, std::memory_order_relaxed);
    }
    if (found) return result->pid;
    if (!any) return -10;  // ECHILD
    if (request.nohang) return 0;
    UserThread* me = current_user_thread();
    self->child_wait.wait(kthreads::scheduler(), [&] {
      return self->child_events.load(std::memory_order_acquire) != seen || interrupted(*me);
    });
    if (interrupted(*me)) return interrupted_result(*me);
  }
}

namespace {

// execve's de_thread: ends every thread of the caller's process but the caller and waits until
// they are gone; the caller then takes the process's PID. 0, or -EINTR (see exec_current).
std::int64_t end_other_threads(UserThread& self) {
  Process& p = *self.process;
  bool expected = false;
  if (!p.de_thread.compare_exchange_strong(expected, true)) {
    self.killed.store(true);  // another thread execs: it ends this one
    return -4;                // EINTR
  }
  {
    smp::Guard g{p.threads_lock};
    for (UserThread* t = p.threads; t != nullptr; t = t->next_in_process) {
      if (t == &self) continue;
      t->killed.store(true);
      kick_thread(*t);
    }
  }
  const bool gone = p.threads_gone.wait_until(
      kthreads::scheduler(), ktime::now_ns() + kDeThreadTimeoutNs,
      [&] { return p.live_threads.load() == 1 || p.exiting.load(); });
  p.de_thread.store(false);
  if (p.exiting.load()) return -4;  // EINTR: exit_group or a fatal signal meanwhile
  if (!gone) {
    klog::warn("exec: pid {} ({}): {} other threads did not end within {} ms; the process is "
               "killed", p.pid, p.name, p.live_threads.load() - 1, kDeThreadTimeoutNs / 1'000'000);
    exit_process(signaled_status(kSigKill));
  }
  if (self.tid != p.pid) {
    smp::Guard g{p.threads_lock};
    self.tid = p.pid;  // the leader's ID: getpid() == gettid() in the new program
  }
  return 0;
}

}  // namespace

std::int64_t exec_current(const ProgramArgs& args, arch::InterruptFrame& frame) {
  UserThread* self = current_user_thread();
  Process* p = self->process;
  kvm::AddressSpace* fresh = kvm::AddressSpace::create();
  if (fresh == nullptr) return -12;
  auto loaded = load_program(*fresh, args);
  if (!loaded) {
    fresh->put();
    return -loaded.error().errno_value;
  }
  if (p->live_threads.load() > 1) {
    const std::int64_t ended = end_other_threads(*self);
    if (ended != 0) {
      fresh->put();
      return ended;
    }
  }
  // Past the point of no return. The old program's clear_child_tid word lives in the old
  // space, which is still loaded: handled as on exit.
  if (self->clear_child_tid != 0) {
    const std::uint32_t zero = 0;
    if (arch::copy_to_user(self->clear_child_tid, &zero, sizeof(zero))) {
      (void)futex_wake(p->space, self->clear_child_tid, 1, kFutexBitsetAll);
    }
    self->clear_child_tid = 0;
  }
  kvm::AddressSpace* old = p->space;
  {
    const std::uint64_t flags = arch::read_rflags();
    arch::cli();  // the space and this CPU's CR3 change together, before any switch
    p->space = fresh;
    kvm::AddressSpace::switch_to(fresh);
    if (flags & arch::kRflagsIf) arch::sti();
  }
  set_fs_base(*self, 0);
  set_gs_base(*self, 0);
  p->files->close_on_exec();
  copy_name(*p, args.path);
  record_command(*p, args.argv, args.argc, args.path);
  {
    smp::Guard g{p->actions_lock};
    constexpr std::uint64_t kSigIgn = 1;
    for (SignalAction& a : p->actions) {
      if (a.handler != kSigIgn) a = SignalAction{};  // handlers do not survive exec
    }
  }
  // A vfork parent sleeps until now.
  {
    smp::Guard g{g_tree_lock};
    p->did_exec = true;
    p->vfork_released.store(true);
    if (p->parent != nullptr) {
      p->parent->child_events.fetch_add(1);
      (void)p->parent->child_wait.wake_all(kthreads::scheduler());
    }
  }
  old->put();
  // The new program starts with every register zero but its entry and stack, and the FPU
  // reset (x87 control word and MXCSR at their defaults).
  frame = arch::InterruptFrame{};
  frame.rip = loaded.value().entry;
  frame.rsp = loaded.value().stack_pointer;
  frame.rflags = arch::kRflagsIf | arch::kRflagsAlwaysOne;
  frame.cs = static_cast<std::uint64_t>(arch::Selector::kUserCode);
  frame.ss = static_cast<std::uint64_t>(arch::Selector::kUserData);
  const std::uint32_t mxcsr = 0x1f80;
  asm volatile("fninit; ldmxcsr %0" : : "m"(mxcsr));
  return 0;
}

int wait_for_init_end() {
  // Process 1 runs as long as it likes: the wait wakes every minute only to sleep again.
  constexpr std::uint64_t kWakeNs = 60'000'000'000;
  while (!g_init_gone.wait_for(kWakeNs)) {
  }
  const int status = g_init_status;
  const int signal = status & 0x7f;
  Process* p;
  {
    smp::Guard g{g_tree_lock};
    p = g_init_process;
    g_init_process = nullptr;
  }
  if (signal == 0) {
    klog::info("init: pid {} ({}) exited with status {}", p->pid, p->name, (status >> 8) & 0xff);
  } else {
    klog::info("init: pid {} ({}) killed by signal {}", p->pid, p->name, signal);
  }
  // Its threads (and any orphan's) leave through the reaper: bounded wait, then the count.
  constexpr std::uint64_t kReapTimeoutNs = 5'000'000'000;
  const std::uint64_t deadline = ktime::now_ns() + kReapTimeoutNs;
  while (g_live_threads.load() != 0 && ktime::now_ns() < deadline) kthreads::sleep_for(1'000'000);
  unregister_process(*p);
  delete p;
  g_live_processes.fetch_sub(1, std::memory_order_relaxed);
  const mm::HeapStats heap = mm::kernel_heap()->stats();
  const std::uint64_t user_pages = kvm::total_resident_pages();
  const bool ok = g_live_threads.load() == 0 && g_live_processes.load() == 0 &&
                  user_pages == 0 && kvm::shared_frames() == 0 &&
                  kvm::file_mapping_records() == 0 && futex_waiters() == 0 &&
                  kfiles::live_files() == g_baseline.files &&
                  kthreads::live_threads() == g_baseline.kernel_threads;
  klog::info("user: leak check {}: processes {}, user threads {}, user pages {}, shared frames {}, "
             "file mappers {}, "
             "futex waiters {}, open files {} (before init {}), kernel threads {} (before init {}); "
             "heap objects {}+{} (before {}+{}), free memory {} KiB (before {} KiB), not judged: "
             "the root file system keeps what programs wrote, and stacks and slabs stay cached",
             ok ? "ok" : "FAILED", g_live_processes.load(), g_live_threads.load(), user_pages,
             kvm::shared_frames(), kvm::file_mapping_records(),
             futex_waiters(), kfiles::live_files(), g_baseline.files, kthreads::live_threads(), g_baseline.kernel_threads,
             heap.small_in_use, heap.large_in_use, g_baseline.heap_small, g_baseline.heap_large,
             mm::stats().free_bytes / 1024, g_baseline.free_bytes / 1024);
  return ok ? status : (status != 0 ? status : exited_status(255));
}

bool thread_affinity(int tid, smp::CpuSet* affinity) {
  smp::Guard g{g_tree_lock};
  for (Process* p = g_all; p != nullptr; p = p->next_process) {
    smp::Guard t{p->threads_lock};
    for (UserThread* u = p->threads; u != nullptr; u = u->next_in_process) {
      if (u->tid == tid && u->kthread != nullptr) {
        *affinity = u->kthread->affinity;  // read under threads_lock: the thread cannot go
        return true;
      }
    }
  }
  return false;
}

bool set_thread_affinity(int tid, const smp::CpuSet& affinity) {
  smp::Guard g{g_tree_lock};
  for (Process* p = g_all; p != nullptr; p = p->next_process) {
    smp::Guard t{p->threads_lock};
    for (UserThread* u = p->threads; u != nullptr; u = u->next_in_process) {
      if (u->tid != tid || u->kthread == nullptr) continue;
      if (!kthreads::scheduler().set_affinity(*u->kthread, affinity)) {
        kcpus::send_reschedule(u->kthread->cpu.load());
      }
      return true;
    }
  }
  return false;
}

std::int64_t kill(int pid, int sig, const SignalInfo& info) {
  if (sig < 0 || sig > kSignalCount) return -22;  // EINVAL
  if (pid == -0x7fffffff - 1) return -3;          // INT_MIN: ESRCH, as Linux
  // A kernel thread (the terminal's worker) has no process: it names groups explicitly.
  const UserThread* caller = current_user_thread();
  const Process* self = caller != nullptr ? caller->process : nullptr;
  if (self == nullptr && (pid == 0 || pid == -1)) return -3;  // ESRCH
  int found = 0;
  smp::Guard g{g_tree_lock};
  // 0: the caller's group; < -1: group -pid; -1: everyone but process 1 and the caller.
  const int group = pid == 0 ? self->pgid : pid < -1 ? -pid : 0;
  for (Process* p = g_all; p != nullptr; p = p->next_process) {
    if (pid > 0 && p->pid != pid) continue;
    if (group != 0 && p->pgid != group) continue;
    if (pid == -1 && (p->pid == 1 || p == self)) continue;
    ++found;
    if (sig != 0 && !p->zombie && prepare_signal_locked(*p, sig, false)) {
      (void)send_to_process(*p, sig, info);
    }
  }
  return found != 0 ? 0 : -3;  // ESRCH
}

std::int64_t kill_thread(int tgid, int tid, int sig, const SignalInfo& info) {
  if (sig < 0 || sig > kSignalCount || tid <= 0 || tgid == 0 || tgid < -1) return -22;  // EINVAL
  smp::Guard g{g_tree_lock};
  for (Process* p = g_all; p != nullptr; p = p->next_process) {
    if (tgid > 0 && p->pid != tgid) continue;
    bool queue = false;
    {
      smp::Guard t{p->threads_lock};
      UserThread* u = p->threads;
      while (u != nullptr && u->tid != tid) u = u->next_in_process;
      if (u == nullptr) continue;
      if (sig == 0) return 0;
      queue = !is_stop_signal(sig) && sig != kSigCont;
      if (queue) (void)send_to_thread(*u, sig, info);
    }
    if (queue || p->zombie) return 0;
    // Job control takes the threads lock itself: the thread is looked up again after it.
    if (prepare_signal_locked(*p, sig, true)) {
      smp::Guard t{p->threads_lock};
      for (UserThread* u = p->threads; u != nullptr; u = u->next_in_process) {
        if (u->tid == tid) (void)send_to_thread(*u, sig, info);
      }
    }
    return 0;
  }
  return -3;  // ESRCH
}

namespace {

// The process with `pid`, or null (tree lock held).
Process* find_locked(int pid) {
  for (Process* p = g_all; p != nullptr; p = p->next_process) {
    if (p->pid == pid) return p;
  }
  return nullptr;
}

}  // namespace

std::int64_t set_process_group(int pid, int pgid) {
  if (pgid < 0) return -22;  // EINVAL
  Process* self = current_user_thread()->process;
  smp::Guard g{g_tree_lock};
  Process* target = pid == 0 ? self : find_locked(pid);
  if (target == nullptr || (target != self && target->parent != self) || target->zombie) {
    return -3;  // ESRCH: not the caller or one of its children
  }
  if (target != self && target->did_exec) return -13;     // EACCES
  if (target->sid == target->pid) return -1;               // EPERM: a session leader
  if (target != self && target->sid != self->sid) return -1;  // EPERM: another session
  const int group = pgid == 0 ? target->pid : pgid;
  if (group != target->pid) {
    // Joining a group: it must exist in the same session. A zombie not yet reaped is still a
    // member, as on Linux: in a shell's pipeline `seq 3 | wc`, seq (the group's leader) may have
    // exited before wc joins its group.
    bool exists = false;
    for (Process* p = g_all; p != nullptr && !exists; p = p->next_process) {
      exists = p->pgid == group && p->sid == target->sid;
    }
    if (!exists) return -1;  // EPERM
  }
  target->pgid = group;
  return 0;
}

std::int64_t process_group_of(int pid) {
  Process* self = current_user_thread()->process;
  smp::Guard g{g_tree_lock};
  Process* p = pid == 0 ? self : find_locked(pid);
  return p == nullptr ? -3 : p->pgid;
}

std::int64_t new_session() {
  Process* self = current_user_thread()->process;
  smp::Guard g{g_tree_lock};
  // A group leader cannot: its group would straddle two sessions.
  for (Process* p = g_all; p != nullptr; p = p->next_process) {
    if (p->pgid == self->pid) return -1;  // EPERM
  }
  self->sid = self->pgid = self->pid;
  self->tty_detached = false;
  return self->pid;
}

JobControlView job_control_view() {
  Process* self = current_user_thread()->process;
  JobControlView v;
  smp::Guard g{g_tree_lock};
  v.pid = self->pid;
  v.pgid = self->pgid;
  v.sid = self->sid;
  v.tty_detached = self->tty_detached;
  v.group_orphaned = true;
  for (Process* p = g_all; p != nullptr && v.group_orphaned; p = p->next_process) {
    if (p->pgid != self->pgid || p->zombie || p->parent == nullptr || p->parent == g_init) continue;
    if (p->parent->pgid != p->pgid && p->parent->sid == p->sid) v.group_orphaned = false;
  }
  return v;
}

bool group_in_session(int pgid, int sid) {
  smp::Guard g{g_tree_lock};
  for (Process* p = g_all; p != nullptr; p = p->next_process) {
    if (p->pgid == pgid && p->sid == sid) return true;  // zombies are members until reaped
  }
  return false;
}

bool session_leader_alive(int sid) {
  smp::Guard g{g_tree_lock};
  Process* p = find_locked(sid);
  return p != nullptr && p->sid == sid && !p->zombie;
}

void detach_tty() {
  Process* self = current_user_thread()->process;
  smp::Guard g{g_tree_lock};
  self->tty_detached = true;
}

std::int64_t session_of(int pid) {
  Process* self = current_user_thread()->process;
  smp::Guard g{g_tree_lock};
  Process* p = pid == 0 ? self : find_locked(pid);
  return p == nullptr ? -3 : p->sid;
}

bool snapshot_process(int pid, ProcessSnapshot* out) {
  smp::Guard g{g_tree_lock};
  for (Process* p = g_all; p != nullptr; p = p->next_process) {
    if (p->pid != pid) continue;
    out->pid = p->pid;
    out->ppid = p->parent_pid;
    out->pgid = p->pgid;
    out->sid = p->sid;
    __builtin_memcpy(out->name, p->name, sizeof(out->name));
    out->threads = p->live_threads.load();
    bool runnable = false;  // a thread on a CPU or waiting for one (else all are asleep: S)
    {
      smp::Guard t{p->threads_lock};
      if (p->threads != nullptr && p->threads->kthread != nullptr) {
        out->cpu = platform::to_index(p->threads->kthread->cpu.load());
      }
      for (const UserThread* u = p->threads; u != nullptr; u = u->next_in_process) {
        const sched::ThreadState s = u->kthread != nullptr ? u->kthread->state.load() : sched::ThreadState::kNew;
        runnable = runnable || (s != sched::ThreadState::kBlocked && s != sched::ThreadState::kExited);
      }
    }
    out->state = p->zombie ? 'Z' : p->stopped.load() ? 'T' : runnable ? 'R' : 'S';
    out->resident_pages = p->space != nullptr ? p->space->resident_pages() : 0;
    const CpuTimes times = process_times(*p);
    out->user_ns = times.user_ns;
    out->system_ns = times.system_ns;
    out->children_user_ns = p->children_user_ns.load(std::memory_order_relaxed);
    out->children_system_ns = p->children_system_ns.load(std::memory_order_relaxed);
    out->start_ns = p->start_ns;
    __builtin_memcpy(out->cmdline, p->cmdline, sizeof(out->cmdline));
    out->cmdline_length = p->cmdline_length;
    __builtin_memcpy(out->exe, p->exe, sizeof(out->exe));
    return true;
  }
  return false;
}

kvm::AddressSpace* acquire_space(int pid) {
  smp::Guard g{g_tree_lock};
  for (Process* p = g_all; p != nullptr; p = p->next_process) {
    if (p->pid != pid) continue;
    if (p->space == nullptr) return nullptr;
    p->space->get();
    return p->space;
  }
  return nullptr;
}

std::uint32_t list_processes(int* pids, std::uint32_t max) {
  smp::Guard g{g_tree_lock};
  std::uint32_t n = 0;
  for (Process* p = g_all; p != nullptr; p = p->next_process) {
    if (n < max) {
      // Insertion into ascending order (the list is newest first).
      std::uint32_t at = n;
      while (at > 0 && pids[at - 1] > p->pid) {
        pids[at] = pids[at - 1];
        --at;
      }
      pids[at] = p->pid;
    }
    ++n;
  }
  return n;
}

int allocate_id() { return g_next_id.fetch_add(1, std::memory_order_relaxed); }

std::uint32_t live_processes() { return g_live_processes.load(std::memory_order_relaxed); }
std::uint32_t live_user_threads() { return g_live_threads.load(std::memory_order_relaxed); }

}  // namespace kproc
