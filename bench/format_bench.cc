// The kernel's log formatter against snprintf, the printf-family peer, on the same line shapes
// the kernel prints (a CPU line, a hex address line).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>

#include "smp/klib/format.h"

namespace {

void BM_FormatCpuLine(benchmark::State& state) {
  char buffer[128];
  fmt::FixedBuffer sink(buffer, sizeof(buffer));
  std::uint32_t cpu = 3, apic = 0x16;
  std::uint64_t hz = 2'994'000'000;
  for (auto _ : state) {
    sink.clear();
    fmt::format_to(sink, "cpu {} apic {:#x} tsc {} Hz {}", cpu, apic, hz, "online");
    benchmark::DoNotOptimize(buffer);
  }
}
BENCHMARK(BM_FormatCpuLine);

void BM_SnprintfCpuLine(benchmark::State& state) {
  char buffer[128];
  std::uint32_t cpu = 3, apic = 0x16;
  std::uint64_t hz = 2'994'000'000;
  for (auto _ : state) {
    std::snprintf(buffer, sizeof(buffer), "cpu %u apic %#x tsc %llu Hz %s", cpu, apic,
                  static_cast<unsigned long long>(hz), "online");
    benchmark::DoNotOptimize(buffer);
  }
}
BENCHMARK(BM_SnprintfCpuLine);

void BM_FormatHex64(benchmark::State& state) {
  char buffer[64];
  fmt::FixedBuffer sink(buffer, sizeof(buffer));
  std::uint64_t rip = 0xffffffff80123456;
  for (auto _ : state) {
    sink.clear();
    fmt::format_to(sink, "RIP {:016x}", rip);
    benchmark::DoNotOptimize(buffer);
  }
}
BENCHMARK(BM_FormatHex64);

void BM_SnprintfHex64(benchmark::State& state) {
  char buffer[64];
  std::uint64_t rip = 0xffffffff80123456;
  for (auto _ : state) {
    std::snprintf(buffer, sizeof(buffer), "RIP %016llx", static_cast<unsigned long long>(rip));
    benchmark::DoNotOptimize(buffer);
  }
}
BENCHMARK(BM_SnprintfHex64);

}  // namespace
