// Linux x86-64 system-call numbers (arch/x86/entry/syscalls/syscall_64.tbl) of the calls this
// kernel implements.
#pragma once

namespace ksys::nr {

inline constexpr unsigned kRead = 0;
inline constexpr unsigned kWrite = 1;
inline constexpr unsigned kMmap = 9;
inline constexpr unsigned kMprotect = 10;
inline constexpr unsigned kMunmap = 11;
inline constexpr unsigned kBrk = 12;
inline constexpr unsigned kRtSigaction = 13;
inline constexpr unsigned kRtSigprocmask = 14;
inline constexpr unsigned kIoctl = 16;
inline constexpr unsigned kReadv = 19;
inline constexpr unsigned kWritev = 20;
inline constexpr unsigned kSchedYield = 24;
inline constexpr unsigned kMadvise = 28;
inline constexpr unsigned kClone = 56;
inline constexpr unsigned kNanosleep = 35;
inline constexpr unsigned kGetpid = 39;
inline constexpr unsigned kVfork = 58;
inline constexpr unsigned kExecve = 59;
inline constexpr unsigned kExit = 60;
inline constexpr unsigned kWait4 = 61;
inline constexpr unsigned kUname = 63;
inline constexpr unsigned kGettimeofday = 96;
inline constexpr unsigned kGetrlimit = 97;
inline constexpr unsigned kGetuid = 102;
inline constexpr unsigned kGetgid = 104;
inline constexpr unsigned kGeteuid = 107;
inline constexpr unsigned kGetegid = 108;
inline constexpr unsigned kGetppid = 110;
inline constexpr unsigned kArchPrctl = 158;
inline constexpr unsigned kGettid = 186;
inline constexpr unsigned kFutex = 202;
inline constexpr unsigned kSchedSetaffinity = 203;
inline constexpr unsigned kSchedGetaffinity = 204;
inline constexpr unsigned kSetTidAddress = 218;
inline constexpr unsigned kClockGettime = 228;
inline constexpr unsigned kClockGetres = 229;
inline constexpr unsigned kClockNanosleep = 230;
inline constexpr unsigned kExitGroup = 231;
inline constexpr unsigned kSetRobustList = 273;
inline constexpr unsigned kGetcpu = 309;
inline constexpr unsigned kPrlimit64 = 302;
inline constexpr unsigned kGetrandom = 318;
inline constexpr unsigned kRseq = 334;

// One past the highest number the table covers.
inline constexpr unsigned kTableSize = 512;

}  // namespace ksys::nr
