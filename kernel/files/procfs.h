// /proc (docs/user-space.md, "Files"): the process and system information busybox's ps, top,
// free, uptime and cat read, generated when a file is opened. Reached by absolute paths under
// /proc (the path walk in kernel/syscalls/file_helpers.cc hands such a path here before the
// root file system sees it); a working directory inside /proc is not supported yet.
//
//   /proc               the PIDs, self, and the files below
//   /proc/self          a symlink to the caller's PID
//   /proc/PID/          stat, status, cmdline, comm, maps, exe (a symlink)
//   /proc/meminfo, cpuinfo (one entry per online CPU), uptime, loadavg, stat, version,
//   zoneinfo (one zone per NUMA node, with the node's numastat counters)
#pragma once

#include <cstdint>

#include "kernel/files/file.h"
#include "smp/klib/format.h"

namespace kfiles {

enum class ProcKind : std::uint8_t {
  kRoot, kSelf, kPidDir, kPidStat, kPidStatus, kPidCmdline, kPidComm, kPidMaps, kPidExe,
  kMeminfo, kCpuinfo, kUptime, kLoadavg, kStat, kVersion, kZoneinfo, kInterrupts,
};

struct ProcPath {
  ProcKind kind = ProcKind::kRoot;
  int pid = 0;
};

// Whether `path` is /proc or below it (absolute, "." and empty components ignored). When it
// is: 0 and *out, or -ENOENT. `self_pid` resolves "self"; `follow` resolves a final symlink
// (self, PID/exe is left: its target is not in /proc).
enum class ProcLookup : std::uint8_t { kNotProc, kFound, kMissing };
ProcLookup lookup_proc(fmt::StringView path, int self_pid, bool follow, ProcPath* out);

// An open file for `p` (text generated now, or a directory listing); null when memory ran out.
File* open_proc(const ProcPath& p);
FileStat stat_proc(const ProcPath& p);
// readlink of /proc/self and /proc/PID/exe: the target into `out`, its length, or -EINVAL.
std::int64_t readlink_proc(const ProcPath& p, int self_pid, char* out, std::uint64_t size);

}  // namespace kfiles
