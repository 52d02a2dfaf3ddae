#include "kernel/files/procfs.h"

#include <new>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/user_copy.h"
#include "kernel/cpus/cpus.h"
#include "kernel/cpus/ipi/reschedule.h"
#include "kernel/mm/mm.h"
#include "kernel/proc/cpu_time.h"
#include "kernel/proc/load_average.h"
#include "kernel/proc/process.h"
#include "kernel/threads/kernel_scheduler.h"
#include "kernel/time/clock.h"
#include "kernel/time/tsc_rate.h"
#include "kernel/vm/address_space.h"

namespace kfiles {
namespace {

constexpr std::int64_t kEFAULT = 14, kEINVAL = 22, kENOMEM = 12;
constexpr std::uint64_t kTextCapacity = 32 * 1024;
// clock ticks (USER_HZ) per second, for times in /proc/PID/stat.
constexpr std::uint64_t kTicksPerSecond = 100;
constexpr std::uint64_t kProcDevice = 4;  // proc's own device number

bool equals(fmt::StringView a, const char* b) {
  std::size_t i = 0;
  for (; i < a.length; ++i) {
    if (b[i] == '\0' || b[i] != a.data[i]) return false;
  }
  return b[i] == '\0';
}

bool parse_pid(fmt::StringView s, int* pid) {
  if (s.length == 0 || s.length > 9) return false;
  int v = 0;
  for (std::size_t i = 0; i < s.length; ++i) {
    if (s.data[i] < '0' || s.data[i] > '9') return false;
    v = v * 10 + (s.data[i] - '0');
  }
  *pid = v;
  return v > 0;
}

struct NamedKind {
  const char* name;
  ProcKind kind;
};
constexpr NamedKind kTopFiles[] = {{"meminfo", ProcKind::kMeminfo}, {"cpuinfo", ProcKind::kCpuinfo},
                                   {"uptime", ProcKind::kUptime},   {"loadavg", ProcKind::kLoadavg},
                                   {"stat", ProcKind::kStat},       {"version", ProcKind::kVersion},
                                   {"zoneinfo", ProcKind::kZoneinfo}, {"interrupts", ProcKind::kInterrupts}};
constexpr NamedKind kPidFiles[] = {{"stat", ProcKind::kPidStat},       {"status", ProcKind::kPidStatus},
                                   {"cmdline", ProcKind::kPidCmdline}, {"comm", ProcKind::kPidComm},
                                   {"maps", ProcKind::kPidMaps},       {"exe", ProcKind::kPidExe}};

// --- Text generation ---------------------------------------------------------------------

void write_meminfo(fmt::Sink& out) {
  const mm::Stats s = mm::stats();
  const auto kib = [](std::uint64_t bytes) { return bytes / 1024; };
  fmt::format_to(out, "MemTotal:       {:8} kB\nMemFree:        {:8} kB\nMemAvailable:   {:8} kB\n",
                 kib(s.usable_bytes), kib(s.free_bytes), kib(s.free_bytes));
  fmt::format_to(out, "Buffers:        {:8} kB\nCached:         {:8} kB\nSwapCached:     {:8} kB\n", 0, 0, 0);
  fmt::format_to(out, "SwapTotal:      {:8} kB\nSwapFree:       {:8} kB\nShmem:          {:8} kB\n", 0, 0, 0);
  fmt::format_to(out, "SReclaimable:   {:8} kB\n", 0);
}

// Linux's /proc/interrupts for the per-CPU interrupts this kernel counts (arch/x86's
// arch_show_interrupts rows): a header of CPUs, then one row per kind with a count per CPU and
// Linux's description. Device interrupt lines are not counted per CPU here, so they are absent.
void write_interrupts(fmt::Sink& out) {
  const std::uint32_t cpus = platform::cpu_count();
  // As Linux: the header's "CPU<n>" left-aligned in 11 columns over each count's 10 and a space.
  fmt::format_to(out, "{:>5}", "");
  for (std::uint32_t c = 0; c < cpus; ++c) fmt::format_to(out, " CPU{:<7}", c);
  fmt::format_to(out, "\n");
  struct Row {
    const char* name;
    const char* description;
    std::uint64_t (*count)(std::uint32_t cpu);
  };
  static constexpr Row kRows[] = {
      {"LOC", "Local timer interrupts",
       [](std::uint32_t c) { return kcpus::cpu_local(platform::CpuNumber{c})->timer_ticks; }},
      {"RES", "Rescheduling interrupts",
       [](std::uint32_t c) { return kcpus::reschedule_ipis_taken(platform::CpuNumber{c}); }},
      {"IPI", "Inter-processor interrupts (all kinds)",
       [](std::uint32_t c) { return kcpus::cpu_local(platform::CpuNumber{c})->ipis; }},
  };
  for (const Row& row : kRows) {
    fmt::format_to(out, "{:>4}:", row.name);
    for (std::uint32_t c = 0; c < cpus; ++c) {
      const bool online = kcpus::cpu_local(platform::CpuNumber{c}) != nullptr;
      fmt::format_to(out, " {:>10}", online ? row.count(c) : 0);
    }
    fmt::format_to(out, "   {}\n", row.description);
  }
}

// One "Normal" zone per NUMA node, with the lines of Linux's zoneinfo_show_print this kernel
// has numbers for (docs/user-space.md, "Files"): free, present and managed pages, and the
// node's numastat events under their zoneinfo names.
void write_zoneinfo(fmt::Sink& out) {
  for (std::uint32_t n = 0; n < mm::node_count(); ++n) {
    const mm::NodeFrameStats s = mm::node_stats(n);
    const std::uint64_t page = mm::FrameAllocator::kFrameSize;
    fmt::format_to(out, "Node {}, zone {:>8}\n  pages free     {}\n", n, "Normal", s.free_bytes / page);
    fmt::format_to(out, "        present  {}\n        managed  {}\n", s.total_bytes / page,
                   s.total_bytes / page);
    fmt::format_to(out, "      {:<12} {}\n      {:<12} {}\n      {:<12} {}\n", "nr_free_pages",
                   s.free_bytes / page, "numa_hit", s.numa_hit, "numa_miss", s.numa_miss);
    fmt::format_to(out, "      {:<12} {}\n      {:<12} {}\n      {:<12} {}\n      {:<12} {}\n",
                   "numa_foreign", s.numa_foreign, "numa_interleave", 0, "numa_local",
                   s.local_node, "numa_other", s.other_node);
  }
}

void write_cpuinfo(fmt::Sink& out) {
  char vendor[13] = {};
  const arch::CpuidResult l0 = arch::cpuid(0);
  const std::uint32_t words[3] = {l0.ebx, l0.edx, l0.ecx};
  __builtin_memcpy(vendor, words, 12);
  char brand[49] = {};
  if (arch::cpuid(0x80000000).eax >= 0x80000004) {
    for (std::uint32_t i = 0; i < 3; ++i) {
      const arch::CpuidResult r = arch::cpuid(0x80000002 + i);
      const std::uint32_t w[4] = {r.eax, r.ebx, r.ecx, r.edx};
      __builtin_memcpy(brand + i * 16, w, 16);
    }
  }
  const char* name = brand;
  while (*name == ' ') ++name;
  const arch::CpuidResult l1 = arch::cpuid(1);
  const std::uint32_t family = ((l1.eax >> 8) & 0xf) + ((l1.eax >> 20) & 0xff);
  const std::uint32_t model = ((l1.eax >> 4) & 0xf) | ((l1.eax >> 12) & 0xf0);
  const std::uint32_t count = platform::cpu_count();
  for (std::uint32_t c = 0; c < count; ++c) {
    if (!kcpus::cpu_online(platform::CpuNumber{c})) continue;
    const arch::CpuLocal* local = kcpus::cpu_local(platform::CpuNumber{c});
    fmt::format_to(out, "processor\t: {}\nvendor_id\t: {}\ncpu family\t: {}\nmodel\t\t: {}\n", c,
                   vendor, family, model);
    fmt::format_to(out, "model name\t: {}\nstepping\t: {}\ncpu MHz\t\t: {}.000\n", name, l1.eax & 0xf,
                   local != nullptr ? local->tsc_hz / 1'000'000 : 0);
    fmt::format_to(out, "physical id\t: 0\nsiblings\t: {}\ncore id\t\t: {}\ncpu cores\t: {}\napicid\t\t: {}\n\n",
                   count, c, count, local != nullptr ? klib::to_raw(local->apic_id) : 0);
  }
}

// The bytes `pid`'s regions span (proc(5)'s vsize), 0 for a zombie or a process gone.
std::uint64_t mapped_bytes(int pid) {
  kvm::AddressSpace* space = kproc::acquire_space(pid);
  if (space == nullptr) return 0;
  std::uint64_t bytes = 0;
  space->for_each_region([&](const kvm::Vma& v) { bytes += v.end - v.start; });
  space->put();
  return bytes;
}

const char* state_text(char state) {
  switch (state) {
    case 'Z': return "Z (zombie)";
    case 'T': return "T (stopped)";
    case 'S': return "S (sleeping)";
    default: return "R (running)";
  }
}

void write_pid_stat(fmt::Sink& out, const kproc::ProcessSnapshot& s) {
  constexpr std::uint64_t kNsPerTick = 1'000'000'000 / kTicksPerSecond;
  const std::uint64_t start_ticks = s.start_ns / kNsPerTick;
  // Fields 1..52 of proc(5); what is not tracked is 0. utime, stime, cutime, cstime (14..17)
  // in clock ticks.
  fmt::format_to(out, "{} ({}) {} {} {} {} 0 -1 0 0 0 0 0 {} {} {} {} 20 0 {} 0 {} {} {} ", s.pid,
                 s.name, s.state, s.ppid, s.pgid, s.sid, s.user_ns / kNsPerTick,
                 s.system_ns / kNsPerTick, s.children_user_ns / kNsPerTick,
                 s.children_system_ns / kNsPerTick, s.threads, start_ticks, mapped_bytes(s.pid),
                 s.resident_pages);
  // rsslim, 12 fields of addresses and signal sets, exit_signal 17, then processor (39).
  fmt::format_to(out, "18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 {} 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
                 s.cpu);
}

void write_pid_status(fmt::Sink& out, const kproc::ProcessSnapshot& s) {
  fmt::format_to(out, "Name:\t{}\nState:\t{}\nTgid:\t{}\nPid:\t{}\nPPid:\t{}\n", s.name,
                 state_text(s.state), s.pid, s.pid, s.ppid);
  fmt::format_to(out, "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nThreads:\t{}\nVmSize:\t{:8} kB\nVmRSS:\t{:8} kB\n",
                 s.threads, mapped_bytes(s.pid) / 1024, s.resident_pages * 4);
}

void write_maps(fmt::Sink& out, int pid) {
  kvm::AddressSpace* space = kproc::acquire_space(pid);
  if (space == nullptr) return;
  space->for_each_region([&](const kvm::Vma& v) {
    // A file mapping shows its offset, device, inode and the path the file was opened by.
    FileStat st;
    if (v.file != nullptr) st = v.file->stat();
    fmt::format_to(out, "{:08x}-{:08x} {}{}{}{} {:08x} {:02x}:{:02x} {}", v.start, v.end,
                   (v.prot & kvm::kProtRead) ? 'r' : '-', (v.prot & kvm::kProtWrite) ? 'w' : '-',
                   (v.prot & kvm::kProtExec) ? 'x' : '-', (v.kind & kvm::kVmaShared) ? 's' : 'p',
                   v.file != nullptr ? v.offset : 0, st.dev >> 8, st.dev & 0xff, st.ino);
    if (v.file != nullptr && v.file->path()[0] != '\0') {
      fmt::format_to(out, "    {}", v.file->path());
    }
    if (v.kind & kvm::kVmaHeap) fmt::format_to(out, "    [heap]");
    if (v.kind & kvm::kVmaStack) fmt::format_to(out, "    [stack]");
    if (v.special != nullptr) fmt::format_to(out, "    {}", v.special->name);
    fmt::format_to(out, "\n");
  });
  space->put();
}

// --- Files ---------------------------------------------------------------------------------

FileStat proc_stat(std::uint32_t mode, std::uint64_t ino) {
  FileStat s;
  s.dev = kProcDevice;
  s.ino = ino;
  s.mode = mode;
  s.nlink = 1;
  return s;
}

class ProcText final : public File {
 public:
  ProcText(char* text, std::uint64_t length, std::uint64_t ino)
      : File(kReadOnly), text_(text), length_(length), ino_(ino) {}
  ~ProcText() override { delete[] text_; }
  bool seekable() const override { return true; }
  std::int64_t read(std::uint64_t buffer, std::uint64_t length, std::uint64_t* pos) override {
    if (*pos >= length_) return 0;
    const std::uint64_t n = length < length_ - *pos ? length : length_ - *pos;
    if (!arch::copy_to_user(buffer, text_ + *pos, n)) return -kEFAULT;
    *pos += n;
    return static_cast<std::int64_t>(n);
  }
  std::int64_t write(std::uint64_t, std::uint64_t, std::uint64_t*) override { return -kEINVAL; }
  std::int64_t size() override { return static_cast<std::int64_t>(length_); }
  FileStat stat() override { return proc_stat(0100444, ino_); }

 private:
  char* text_;
  std::uint64_t length_;
  std::uint64_t ino_;
};

// A directory: its entries fixed when it was opened.
class ProcDir final : public File {
 public:
  struct Entry {
    char name[16];
    std::uint8_t type;  // DT_DIR 4, DT_REG 8, DT_LNK 10
  };
  ProcDir(Entry* entries, std::uint32_t count, std::uint64_t ino)
      : File(kReadOnly | kDirectory), entries_(entries), count_(count), ino_(ino) {}
  ~ProcDir() override { delete[] entries_; }
  bool seekable() const override { return true; }
  std::int64_t read(std::uint64_t, std::uint64_t, std::uint64_t*) override { return -21; }
  std::int64_t write(std::uint64_t, std::uint64_t, std::uint64_t*) override { return -21; }
  FileStat stat() override { return proc_stat(0040555, ino_); }
  std::int64_t read_directory(std::uint64_t buffer, std::uint64_t length,
                              std::uint64_t* pos) override {
    std::uint8_t record[64];
    std::uint64_t used = 0;
    while (*pos < count_) {
      const Entry& e = entries_[*pos];
      std::uint64_t name_length = 0;
      while (name_length < sizeof(e.name) && e.name[name_length] != '\0') ++name_length;
      const std::uint64_t reclen = (19 + name_length + 1 + 7) & ~7ull;
      if (used + reclen > length) {
        if (used == 0) return -kEINVAL;
        break;
      }
      for (auto& b : record) b = 0;
      const std::uint64_t ino = ino_ * 64 + *pos + 1;
      const auto off = static_cast<std::int64_t>(*pos + 1);
      const auto rl = static_cast<std::uint16_t>(reclen);
      __builtin_memcpy(record, &ino, 8);
      __builtin_memcpy(record + 8, &off, 8);
      __builtin_memcpy(record + 16, &rl, 2);
      record[18] = e.type;
      __builtin_memcpy(record + 19, e.name, name_length);
      if (!arch::copy_to_user(buffer + used, record, reclen)) return used != 0 ? static_cast<std::int64_t>(used) : -kEFAULT;
      used += reclen;
      ++*pos;
    }
    return static_cast<std::int64_t>(used);
  }

 private:
  Entry* entries_;
  std::uint32_t count_;
  std::uint64_t ino_;
};

void set_name(ProcDir::Entry& e, const char* name, std::uint8_t type) {
  std::size_t i = 0;
  for (; name[i] != '\0' && i < sizeof(e.name) - 1; ++i) e.name[i] = name[i];
  e.name[i] = '\0';
  e.type = type;
}

File* open_directory(const ProcPath& p) {
  constexpr std::uint32_t kMaxPids = 1024;
  const std::uint32_t capacity = p.kind == ProcKind::kRoot ? kMaxPids + 16 : 16;
  auto* entries = new (std::nothrow) ProcDir::Entry[capacity];
  if (entries == nullptr) return nullptr;
  std::uint32_t n = 0;
  set_name(entries[n++], ".", 4);
  set_name(entries[n++], "..", 4);
  if (p.kind == ProcKind::kRoot) {
    for (const NamedKind& f : kTopFiles) set_name(entries[n++], f.name, 8);
    set_name(entries[n++], "self", 10);
    int* pids = new (std::nothrow) int[kMaxPids];
    if (pids != nullptr) {
      const std::uint32_t total = kproc::list_processes(pids, kMaxPids);
      for (std::uint32_t i = 0; i < total && i < kMaxPids && n < capacity; ++i) {
        char digits[16];
        fmt::FixedBuffer b(digits, sizeof(digits));
        fmt::format_to(b, "{}", pids[i]);
        set_name(entries[n++], b.c_str(), 4);
      }
      delete[] pids;
    }
  } else {
    for (const NamedKind& f : kPidFiles) set_name(entries[n++], f.name, f.kind == ProcKind::kPidExe ? 10 : 8);
  }
  File* f = new (std::nothrow) ProcDir(entries, n, p.kind == ProcKind::kRoot ? 1 : 2 + static_cast<std::uint64_t>(p.pid));
  if (f == nullptr) delete[] entries;
  return f;
}

}  // namespace

ProcLookup lookup_proc(fmt::StringView path, int self_pid, bool follow, ProcPath* out) {
  fmt::StringView parts[4];
  std::uint32_t count = 0;
  if (path.length == 0 || path.data[0] != '/') return ProcLookup::kNotProc;
  std::size_t i = 0;
  while (i < path.length) {
    while (i < path.length && path.data[i] == '/') ++i;
    const std::size_t begin = i;
    while (i < path.length && path.data[i] != '/') ++i;
    const fmt::StringView part(path.data + begin, i - begin);
    if (part.length == 0 || equals(part, ".")) continue;
    if (equals(part, "..")) return ProcLookup::kNotProc;  // left to the root file system's walk
    if (count == 4) return count != 0 && equals(parts[0], "proc") ? ProcLookup::kMissing : ProcLookup::kNotProc;
    parts[count++] = part;
  }
  if (count == 0 || !equals(parts[0], "proc")) return ProcLookup::kNotProc;
  if (count == 1) {
    *out = ProcPath{ProcKind::kRoot, 0};
    return ProcLookup::kFound;
  }
  int pid = 0;
  const bool self = equals(parts[1], "self");
  if (self || parse_pid(parts[1], &pid)) {
    if (self) pid = self_pid;
    kproc::ProcessSnapshot snap;
    if (!kproc::snapshot_process(pid, &snap)) return ProcLookup::kMissing;
    if (count == 2) {
      *out = ProcPath{self && !follow ? ProcKind::kSelf : ProcKind::kPidDir, pid};
      return ProcLookup::kFound;
    }
    if (count > 3) return ProcLookup::kMissing;
    for (const NamedKind& f : kPidFiles) {
      if (equals(parts[2], f.name)) {
        *out = ProcPath{f.kind, pid};
        return ProcLookup::kFound;
      }
    }
    return ProcLookup::kMissing;
  }
  if (count > 2) return ProcLookup::kMissing;
  for (const NamedKind& f : kTopFiles) {
    if (equals(parts[1], f.name)) {
      *out = ProcPath{f.kind, 0};
      return ProcLookup::kFound;
    }
  }
  return ProcLookup::kMissing;
}

File* open_proc(const ProcPath& p) {
  if (p.kind == ProcKind::kRoot || p.kind == ProcKind::kPidDir || p.kind == ProcKind::kSelf) {
    return open_directory(p);
  }
  char* text = new (std::nothrow) char[kTextCapacity];
  if (text == nullptr) return nullptr;
  fmt::FixedBuffer out(text, kTextCapacity);
  kproc::ProcessSnapshot snap;
  const bool per_process = p.kind >= ProcKind::kPidStat && p.kind <= ProcKind::kPidExe;
  if (per_process && !kproc::snapshot_process(p.pid, &snap)) snap = kproc::ProcessSnapshot{};
  const std::uint64_t now = ktime::now_ns();
  std::uint64_t length = 0;
  switch (p.kind) {
    case ProcKind::kMeminfo: write_meminfo(out); break;
    case ProcKind::kCpuinfo: write_cpuinfo(out); break;
    case ProcKind::kZoneinfo: write_zoneinfo(out); break;
    case ProcKind::kInterrupts: write_interrupts(out); break;
    case ProcKind::kUptime: {
      // The second number: the idle time of every CPU added up, as Linux.
      std::uint64_t idle = 0;
      for (std::uint32_t c = 0; c < platform::cpu_count(); ++c) idle += kproc::cpu_usage(c).idle_ns;
      fmt::format_to(out, "{}.{:02} {}.{:02}\n", now / 1'000'000'000, now / 10'000'000 % 100,
                     idle / 1'000'000'000, idle / 10'000'000 % 100);
      break;
    }
    case ProcKind::kLoadavg: {
      int pids[1];
      const std::uint32_t procs = kproc::list_processes(pids, 0);
      // As Linux's loadavg_proc_show: rounded to hundredths (FIXED_1/200 added), then the
      // runnable threads at the last sample / the user threads, and the process count.
      const kproc::LoadAverage load = kproc::load_average();
      for (const std::uint64_t l : load.load) {
        const std::uint64_t v = l + kproc::kLoadOne / 200;
        fmt::format_to(out, "{}.{:02} ", v >> kproc::kLoadShift,
                       ((v & (kproc::kLoadOne - 1)) * 100) >> kproc::kLoadShift);
      }
      fmt::format_to(out, "{}/{} {}\n", load.runnable, kproc::live_user_threads(), procs);
      break;
    }
    case ProcKind::kStat: {
      // Per CPU, in clock ticks: user, nice, system, idle, then six fields this kernel does not
      // tell apart (iowait, irq, softirq, steal, guest, guest_nice: 0). The first line sums them.
      constexpr std::uint64_t kNsPerTick = 1'000'000'000 / kTicksPerSecond;
      kproc::CpuUsage all;
      for (std::uint32_t c = 0; c < platform::cpu_count(); ++c) {
        if (!kcpus::cpu_online(platform::CpuNumber{c})) continue;
        const kproc::CpuUsage u = kproc::cpu_usage(c);
        all.user_ns += u.user_ns, all.system_ns += u.system_ns, all.idle_ns += u.idle_ns;
      }
      fmt::format_to(out, "cpu  {} 0 {} {} 0 0 0 0 0 0\n", all.user_ns / kNsPerTick,
                     all.system_ns / kNsPerTick, all.idle_ns / kNsPerTick);
      for (std::uint32_t c = 0; c < platform::cpu_count(); ++c) {
        if (!kcpus::cpu_online(platform::CpuNumber{c})) continue;
        const kproc::CpuUsage u = kproc::cpu_usage(c);
        fmt::format_to(out, "cpu{} {} 0 {} {} 0 0 0 0 0 0\n", c, u.user_ns / kNsPerTick,
                       u.system_ns / kNsPerTick, u.idle_ns / kNsPerTick);
      }
      fmt::format_to(out, "processes {}\nprocs_running {}\nprocs_blocked 0\n",
                     kproc::live_processes(), kproc::load_average().runnable);
      break;
    }
    case ProcKind::kVersion:
      fmt::format_to(out, "Linux version 6.1.0-pleiades (pleiades) #1 SMP PREEMPT\n");
      break;
    case ProcKind::kPidStat: write_pid_stat(out, snap); break;
    case ProcKind::kPidStatus: write_pid_status(out, snap); break;
    case ProcKind::kPidComm: fmt::format_to(out, "{}\n", snap.name); break;
    case ProcKind::kPidMaps: write_maps(out, p.pid); break;
    case ProcKind::kPidCmdline:
      __builtin_memcpy(text, snap.cmdline, snap.cmdline_length);
      length = snap.cmdline_length;
      break;
    default: break;
  }
  if (p.kind != ProcKind::kPidCmdline) length = out.size();
  File* f = new (std::nothrow) ProcText(text, length, 100 + static_cast<std::uint64_t>(p.kind));
  if (f == nullptr) delete[] text;
  return f;
}

FileStat stat_proc(const ProcPath& p) {
  switch (p.kind) {
    case ProcKind::kRoot: return proc_stat(0040555, 1);
    case ProcKind::kPidDir: return proc_stat(0040555, 2 + static_cast<std::uint64_t>(p.pid));
    case ProcKind::kSelf:
    case ProcKind::kPidExe: return proc_stat(0120777, 100 + static_cast<std::uint64_t>(p.kind));
    default: return proc_stat(0100444, 100 + static_cast<std::uint64_t>(p.kind));
  }
}

std::int64_t readlink_proc(const ProcPath& p, int self_pid, char* out, std::uint64_t size) {
  fmt::FixedBuffer b(out, size);
  if (p.kind == ProcKind::kSelf) {
    fmt::format_to(b, "{}", self_pid);
  } else if (p.kind == ProcKind::kPidExe) {
    kproc::ProcessSnapshot snap;
    if (!kproc::snapshot_process(p.pid, &snap)) return -2;
    fmt::format_to(b, "{}", snap.exe);
  } else {
    return -kEINVAL;
  }
  (void)kENOMEM;
  return static_cast<std::int64_t>(b.size());
}

}  // namespace kfiles
