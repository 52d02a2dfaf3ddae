// The built vDSO run on the host: its image copied into memory right above a vvar page the test
// writes (as the kernel lays them out), its functions called through the addresses musl's
// lookup finds. In TSC mode each answer must be the conversion of a TSC read during the call;
// otherwise (mode NONE, a clock the page does not cover, a writer that never finishes) the
// answer is the host kernel's, from the system call the vDSO makes.
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include <cerrno>
#include <cstring>

#include <gtest/gtest.h>

#include "kernel/vdso/vdso_image.h"
#include "kernel/vdso/vvar.h"
#include "kernel/vdso/vvar_writer.h"
#include "tests/host/vdso/vdso_file.h"

namespace {

constexpr std::uint64_t kPage = 4096;
constexpr std::uint64_t kNs = 1'000'000'000;

struct Timespec {
  std::int64_t sec, nsec;
};
struct Timeval {
  std::int64_t sec, usec;
};

std::uint64_t tsc_ordered() {
  _mm_lfence();
  return __rdtsc();
}

// The vvar page and the vDSO mapped as the kernel maps them.
class LoadedVdso {
 public:
  LoadedVdso() {
    const auto bytes = read_vdso_file();
    auto info = kvdso::check_image(bytes.data(), bytes.size());
    EXPECT_TRUE(info.ok());
    pages_ = 1 + (info.ok() ? info.value().pages : 1);
    void* m = mmap(nullptr, pages_ * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    EXPECT_NE(m, MAP_FAILED);
    base_ = static_cast<std::uint8_t*>(m);
    std::memcpy(base_ + kPage, bytes.data(), bytes.size() < (pages_ - 1) * kPage ? bytes.size()
                                                                                : (pages_ - 1) * kPage);
    EXPECT_EQ(mprotect(base_ + kPage, (pages_ - 1) * kPage, PROT_READ | PROT_EXEC), 0);
    auto sym = [&](const char* name) {
      const std::uint64_t at = kvdso::find_symbol(bytes.data(), bytes.size(), name, "LINUX_2.6");
      EXPECT_NE(at, 0u) << name;
      return static_cast<void*>(base_ + kPage + at);
    };
    clock_gettime = reinterpret_cast<int (*)(long, Timespec*)>(sym("__vdso_clock_gettime"));
    gettimeofday = reinterpret_cast<int (*)(Timeval*, std::int32_t*)>(sym("__vdso_gettimeofday"));
    time = reinterpret_cast<std::int64_t (*)(std::int64_t*)>(sym("__vdso_time"));
    getcpu = reinterpret_cast<int (*)(unsigned*, unsigned*, void*)>(sym("__vdso_getcpu"));
    clock_getres = reinterpret_cast<int (*)(long, Timespec*)>(sym("__vdso_clock_getres"));
  }
  ~LoadedVdso() { munmap(base_, pages_ * kPage); }

  pleiades_vvar& vvar() { return *reinterpret_cast<pleiades_vvar*>(base_); }

  int (*clock_gettime)(long, Timespec*) = nullptr;
  int (*gettimeofday)(Timeval*, std::int32_t*) = nullptr;
  std::int64_t (*time)(std::int64_t*) = nullptr;
  int (*getcpu)(unsigned*, unsigned*, void*) = nullptr;
  int (*clock_getres)(long, Timespec*) = nullptr;

 private:
  std::uint8_t* base_ = nullptr;
  std::uint64_t pages_ = 0;
};

// Keeps the thread on the CPU it is on: the TSC reads around a call are then one CPU's.
class PinHere {
 public:
  PinHere() {
    sched_getaffinity(0, sizeof(old_), &old_);
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu(), &one);
    sched_setaffinity(0, sizeof(one), &one);
  }
  ~PinHere() { sched_setaffinity(0, sizeof(old_), &old_); }

 private:
  cpu_set_t old_;
};

std::uint64_t ns_of(const Timespec& t) { return t.sec * kNs + t.nsec; }

std::uint64_t host_ns(clockid_t clock) {
  timespec t;
  ::clock_gettime(clock, &t);
  return t.tv_sec * kNs + t.tv_nsec;
}

// A 2.5 GHz TSC in the kernel's form (ktime: shift 32), and a wall clock in 2026.
kvdso::ClockParams tsc_params() {
  kvdso::ClockParams p;
  p.mode = PLEIADES_VCLOCK_TSC;
  p.shift = 32;
  p.mult = (kNs << 32) / 2'500'000'000ull;
  p.realtime_offset_ns = 1'780'000'000ull * kNs;
  return p;
}

TEST(VdsoRun, TscModeGivesTheConversionOfATscReadDuringTheCall) {
  LoadedVdso v;
  const kvdso::ClockParams p = tsc_params();
  kvdso::publish_clock(v.vvar(), p);
  PinHere pin;
  for (int i = 0; i < 1000; ++i) {
    for (long clock : {1L, 4L, 6L, 7L, 0L, 5L}) {  // MONOTONIC(_RAW, _COARSE), BOOTTIME, REALTIME(_COARSE)
      const bool realtime = clock == 0 || clock == 5;
      const std::uint64_t add = realtime ? p.realtime_offset_ns : 0;
      Timespec t{};
      const std::uint64_t before = pleiades_vvar_tsc_to_ns(tsc_ordered(), p.mult, p.shift) + add;
      ASSERT_EQ(v.clock_gettime(clock, &t), 0);
      const std::uint64_t after = pleiades_vvar_tsc_to_ns(tsc_ordered(), p.mult, p.shift) + add;
      ASSERT_GE(t.nsec, 0);
      ASSERT_LT(t.nsec, static_cast<std::int64_t>(kNs));
      ASSERT_LE(before, ns_of(t)) << clock;
      ASSERT_LE(ns_of(t), after) << clock;
    }
  }
  Timeval tv{};
  std::int32_t zone[2] = {7, 7};
  const std::uint64_t before = pleiades_vvar_tsc_to_ns(tsc_ordered(), p.mult, p.shift) + p.realtime_offset_ns;
  ASSERT_EQ(v.gettimeofday(&tv, zone), 0);
  std::int64_t stored = 0;
  const std::int64_t seconds = v.time(&stored);
  const std::uint64_t after = pleiades_vvar_tsc_to_ns(tsc_ordered(), p.mult, p.shift) + p.realtime_offset_ns;
  EXPECT_EQ(zone[0], 0);
  EXPECT_EQ(zone[1], 0);
  EXPECT_LE(before / 1000, static_cast<std::uint64_t>(tv.sec) * 1'000'000 + tv.usec);
  EXPECT_LE(static_cast<std::uint64_t>(tv.sec) * 1'000'000 + tv.usec, after / 1000);
  EXPECT_EQ(stored, seconds);
  EXPECT_LE(before / kNs, static_cast<std::uint64_t>(seconds));
  EXPECT_LE(static_cast<std::uint64_t>(seconds), after / kNs);
  EXPECT_EQ(v.gettimeofday(nullptr, nullptr), 0);
  EXPECT_EQ(v.time(nullptr), static_cast<std::int64_t>(after / kNs));  // unless a second passed
}

TEST(VdsoRun, ModeNoneMakesTheSystemCall) {
  LoadedVdso v;
  kvdso::ClockParams p = tsc_params();
  p.mode = PLEIADES_VCLOCK_NONE;
  p.mult = 0;  // a TSC answer would be 0 (or the offset): visibly not the host's clock
  kvdso::publish_clock(v.vvar(), p);
  for (clockid_t clock : {CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_BOOTTIME}) {
    Timespec t{};
    const std::uint64_t a = host_ns(clock);
    ASSERT_EQ(v.clock_gettime(clock, &t), 0);
    const std::uint64_t c = host_ns(clock);
    EXPECT_LE(a, ns_of(t)) << clock;
    EXPECT_LE(ns_of(t), c) << clock;
  }
  const std::int64_t s = v.time(nullptr);
  EXPECT_LE(std::abs(s - static_cast<std::int64_t>(host_ns(CLOCK_REALTIME) / kNs)), 1);
}

TEST(VdsoRun, OtherClocksAreTheKernels) {
  LoadedVdso v;
  kvdso::publish_clock(v.vvar(), tsc_params());
  Timespec t{};
  EXPECT_EQ(v.clock_gettime(12345, &t), -EINVAL);
  const std::uint64_t a = host_ns(CLOCK_THREAD_CPUTIME_ID);
  ASSERT_EQ(v.clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t), 0);
  const std::uint64_t c = host_ns(CLOCK_THREAD_CPUTIME_ID);
  EXPECT_LE(a, ns_of(t));
  EXPECT_LE(ns_of(t), c);
  Timespec res{5, 5};
  EXPECT_EQ(v.clock_getres(CLOCK_MONOTONIC, &res), 0);
  EXPECT_EQ(res.sec, 0);
  EXPECT_EQ(res.nsec, 1);
  EXPECT_EQ(v.clock_getres(CLOCK_MONOTONIC, nullptr), 0);
  EXPECT_EQ(v.clock_getres(12345, &res), -EINVAL);
  timespec host_res;
  ASSERT_EQ(::clock_getres(CLOCK_PROCESS_CPUTIME_ID, &host_res), 0);
  EXPECT_EQ(v.clock_getres(CLOCK_PROCESS_CPUTIME_ID, &res), 0);
  EXPECT_EQ(res.sec, host_res.tv_sec);
  EXPECT_EQ(res.nsec, host_res.tv_nsec);
}

// A writer that never finishes (seq stays odd): the reader gives up after its bounded tries and
// makes the system call.
TEST(VdsoRun, AStuckWriterSendsReadersToTheSystemCall) {
  LoadedVdso v;
  kvdso::ClockParams p = tsc_params();
  p.mult = 0;
  p.realtime_offset_ns = 0;
  kvdso::publish_clock(v.vvar(), p);
  v.vvar().seq += 1;  // odd: "being written"
  Timespec t{};
  const std::uint64_t a = host_ns(CLOCK_MONOTONIC);
  ASSERT_EQ(v.clock_gettime(CLOCK_MONOTONIC, &t), 0);
  EXPECT_LE(a, ns_of(t));  // the host's clock, not the 0 the page would give
}

TEST(VdsoRun, GetcpuNamesThePinnedCpu) {
  LoadedVdso v;
  cpu_set_t allowed;
  ASSERT_EQ(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
  // RDTSCP and RDPID only where the host has them (Linux sets IA32_TSC_AUX as this kernel does).
  unsigned eax, ebx, ecx, edx;
  __asm__("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(0x80000001u), "c"(0u));
  std::vector<std::uint32_t> modes = {PLEIADES_VGETCPU_NONE};
  if (edx & (1u << 27)) modes.push_back(PLEIADES_VGETCPU_RDTSCP);
  __asm__("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(0u), "c"(0u));
  if (eax >= 7) {
    __asm__("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(7u), "c"(0u));
    if (ecx & (1u << 22)) modes.push_back(PLEIADES_VGETCPU_RDPID);
  }
  for (std::uint32_t mode : modes) {
    v.vvar().getcpu_mode = mode;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (!CPU_ISSET(cpu, &allowed)) continue;
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(cpu, &one);
      ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
      unsigned got = ~0u, node = ~0u, sys_node = ~1u;
      ASSERT_EQ(v.getcpu(&got, &node, nullptr), 0);
      ASSERT_EQ(syscall(SYS_getcpu, nullptr, &sys_node, nullptr), 0);
      EXPECT_EQ(got, static_cast<unsigned>(cpu)) << "mode " << mode;
      EXPECT_EQ(node, sys_node) << "mode " << mode;
      EXPECT_EQ(v.getcpu(nullptr, nullptr, nullptr), 0);
    }
  }
  ASSERT_EQ(sched_setaffinity(0, sizeof(allowed), &allowed), 0);
}

// The conversion keeps the 128-bit product: TSC values near 2^64 and the largest mult the
// kernel can publish (a 100 MHz TSC) lose nothing.
TEST(VvarConversion, KeepsTheWholeProduct) {
  const std::uint64_t mult_100mhz = (kNs << 32) / 100'000'000ull;  // 10 * 2^32
  EXPECT_EQ(pleiades_vvar_tsc_to_ns(100'000'000ull, mult_100mhz, 32), kNs);
  const std::uint64_t tsc = 0xFFFF'FFFF'FFFF'FFFFull;
  const unsigned __int128 product = static_cast<unsigned __int128>(tsc) * mult_100mhz;
  EXPECT_EQ(pleiades_vvar_tsc_to_ns(tsc, mult_100mhz, 32), static_cast<std::uint64_t>(product >> 32));
  EXPECT_EQ(pleiades_vvar_tsc_to_ns(1ull << 40, 1ull << 32, 32), 1ull << 40);
  EXPECT_EQ(pleiades_vvar_tsc_to_ns(3, 1, 0), 3u);
  EXPECT_EQ(pleiades_vvar_tsc_to_ns(0, mult_100mhz, 32), 0u);
}

}  // namespace
