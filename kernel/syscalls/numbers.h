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
inline constexpr unsigned kMsync = 26;
inline constexpr unsigned kClone = 56;
inline constexpr unsigned kNanosleep = 35;
inline constexpr unsigned kGetpid = 39;
inline constexpr unsigned kFork = 57;
inline constexpr unsigned kVfork = 58;
inline constexpr unsigned kExecve = 59;
inline constexpr unsigned kExit = 60;
inline constexpr unsigned kWait4 = 61;
inline constexpr unsigned kWaitid = 247;
inline constexpr unsigned kGetitimer = 36;
inline constexpr unsigned kAlarm = 37;
inline constexpr unsigned kSetitimer = 38;
inline constexpr unsigned kGetrusage = 98;
inline constexpr unsigned kTimes = 100;
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

// Files and paths.
inline constexpr unsigned kOpen = 2;
inline constexpr unsigned kClose = 3;
inline constexpr unsigned kStat = 4;
inline constexpr unsigned kFstat = 5;
inline constexpr unsigned kLstat = 6;
inline constexpr unsigned kLseek = 8;
inline constexpr unsigned kPread64 = 17;
inline constexpr unsigned kPwrite64 = 18;
inline constexpr unsigned kAccess = 21;
inline constexpr unsigned kDup = 32;
inline constexpr unsigned kDup2 = 33;
inline constexpr unsigned kFcntl = 72;
inline constexpr unsigned kTruncate = 76;
inline constexpr unsigned kFtruncate = 77;
inline constexpr unsigned kFsync = 74, kFdatasync = 75, kSync = 162, kSyncfs = 306;
inline constexpr unsigned kGetcwd = 79;
inline constexpr unsigned kChdir = 80;
inline constexpr unsigned kFchdir = 81;
inline constexpr unsigned kRename = 82;
inline constexpr unsigned kMkdir = 83;
inline constexpr unsigned kRmdir = 84;
inline constexpr unsigned kCreat = 85;
inline constexpr unsigned kUnlink = 87;
inline constexpr unsigned kSymlink = 88;
inline constexpr unsigned kReadlink = 89;
inline constexpr unsigned kUmask = 95;
inline constexpr unsigned kGetdents64 = 217;
inline constexpr unsigned kOpenat = 257;
inline constexpr unsigned kMkdirat = 258;
inline constexpr unsigned kNewfstatat = 262;
inline constexpr unsigned kUnlinkat = 263;
inline constexpr unsigned kRenameat = 264;
inline constexpr unsigned kSymlinkat = 266;
inline constexpr unsigned kReadlinkat = 267;
inline constexpr unsigned kFaccessat = 269;
inline constexpr unsigned kDup3 = 292;
inline constexpr unsigned kRenameat2 = 316;
inline constexpr unsigned kFaccessat2 = 439;

// Pipes and readiness.
inline constexpr unsigned kPoll = 7;
inline constexpr unsigned kPipe = 22;
inline constexpr unsigned kSelect = 23;
inline constexpr unsigned kPselect6 = 270;
inline constexpr unsigned kPpoll = 271;
inline constexpr unsigned kPipe2 = 293;

// Signals.
inline constexpr unsigned kRtSigreturn = 15;
inline constexpr unsigned kPause = 34;
inline constexpr unsigned kKill = 62;
inline constexpr unsigned kRtSigpending = 127;
inline constexpr unsigned kRtSigsuspend = 130;
inline constexpr unsigned kSigaltstack = 131;
inline constexpr unsigned kTkill = 200;
inline constexpr unsigned kTgkill = 234;

// Process groups and sessions.
inline constexpr unsigned kSetpgid = 109;
inline constexpr unsigned kGetpgrp = 111;
inline constexpr unsigned kSetsid = 112;
inline constexpr unsigned kGetpgid = 121;
inline constexpr unsigned kGetsid = 124;

// System information.
inline constexpr unsigned kSysinfo = 99;
inline constexpr unsigned kPrctl = 157;
inline constexpr unsigned kTime = 201;

inline constexpr unsigned kReboot = 169;

// POSIX message queues.
inline constexpr unsigned kMqOpen = 240;
inline constexpr unsigned kMqUnlink = 241;
inline constexpr unsigned kMqTimedsend = 242;
inline constexpr unsigned kMqTimedreceive = 243;
inline constexpr unsigned kMqNotify = 244;
inline constexpr unsigned kMqGetsetattr = 245;
inline constexpr unsigned kStatx = 332;

// One past the highest number the table covers.
inline constexpr unsigned kTableSize = 512;

}  // namespace ksys::nr
