// Memory-map normalization: the firmware's boot::MemoryRange[] (unsorted, possibly overlapping,
// unaligned or absurd on buggy firmware) turned into a sorted list of disjoint, page-aligned
// ranges, each with one class saying what the kernel may do with it.
//
// Pure code: compiled into the kernel and into the host tests unchanged.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/boot/boot_info.h"
#include "smp/klib/result.h"

namespace mm {

// Ordered from least to most restrictive: where firmware ranges overlap, the larger value wins,
// so a byte claimed both as free RAM and as reserved is never handed out.
enum class MemoryClass : std::uint8_t {
  kUsable = 0,       // Conventional memory: free from kernel entry on.
  kReclaimable = 1,  // Loader and boot-services memory: free once reclaim_boot_memory() runs.
  kKeptRam = 2,      // RAM the kernel never allocates: ACPI tables/NVS, runtime services,
                     // persistent and unaccepted memory. Counted as RAM in the statistics.
  kKept = 3,         // Not RAM or not ours: reserved, MMIO, port space, PAL code, unusable,
                     // and any type this kernel does not know.
};

const char* describe(MemoryClass cls);

// The class of one UEFI memory type.
MemoryClass classify(boot::EfiMemoryType type);

// A physical range (kernel image, pinned metadata, ...).
struct PhysRange {
  std::uint64_t base;
  std::uint64_t size;  // bytes
  std::uint64_t end() const { return base + size; }
};

// One normalized range: page aligned, non-empty, below kMaxPhysicalAddress.
struct MapRange {
  std::uint64_t base;
  std::uint64_t size;  // bytes, a page multiple
  MemoryClass cls;

  std::uint64_t end() const { return base + size; }
};

// Physical addresses are at most 52 bits wide on x86-64 (Intel SDM vol. 3A, 4.1.4).
inline constexpr std::uint64_t kMaxPhysicalAddress = 1ull << 52;

// What was wrong with a firmware entry, and what normalization did about it.
enum class AnomalyKind : std::uint8_t {
  kZeroLength,    // page_count 0: entry skipped
  kUnaligned,     // physical_start not page aligned: free ranges shrunk, kept ranges grown
  kOverflow,      // end wraps or lies beyond 2^52: free ranges dropped, kept ranges clamped
  kBeyondLimit,   // starts at or beyond 2^52: entry skipped
  kOverlap,       // overlaps another entry: the more restrictive class won
};

const char* describe(AnomalyKind kind);

struct Anomaly {
  AnomalyKind kind;
  std::uint32_t index;    // index of the firmware entry (for kOverlap: the later-starting one)
  std::uint64_t address;  // its physical_start (for kOverlap: where the overlap begins)
};

struct AnomalyReport {
  static constexpr std::size_t kKept = 4;
  std::uint32_t count = 0;  // all anomalies seen
  Anomaly first[kKept] = {};  // the first min(count, kKept) of them

  void add(AnomalyKind kind, std::uint32_t index, std::uint64_t address);
};

enum class MapError : std::uint8_t {
  kOutputTooSmall,   // more normalized ranges than the output holds
};

const char* describe(MapError error);

// Working space for normalize(): two boundary events per firmware entry.
struct MapEvent {
  std::uint64_t address;
  std::uint32_t index;  // firmware entry
  MemoryClass cls;
  bool start;           // true: the entry begins here; false: it ends here
};

// The result of normalize(): ranges[0..count) sorted by base, disjoint, and adjacent ranges of
// the same class merged.
struct NormalizedMap {
  MapRange* ranges = nullptr;
  std::size_t count = 0;
  AnomalyReport anomalies;
  // Entries left out because the scratch space was full (see normalize()).
  std::uint32_t dropped_entries = 0;
  std::uint32_t dropped_kept_entries = 0;  // of them, kept (non-free) classes
  std::uint64_t dropped_free_bytes = 0;    // RAM of the dropped free entries, not used
};

// Normalizes `entries`. `scratch` holds 2 events per entry and `out` receives the ranges (as
// many as scratch events is always enough). Never trusts an entry's fields: see AnomalyKind for
// how bad entries are treated. When scratch is too small for every entry, the kept (non-free)
// entries go in first, so no reserved range is lost while there is room, then free ones while
// room remains; the rest are counted in dropped_* (their memory is not used: a missing range
// is a hole, never handed out). Each entry is read once (twice in that overflow case).
klib::Result<NormalizedMap, MapError> normalize(const boot::MemoryRange* entries, std::size_t count,
                                                MapEvent* scratch, std::size_t scratch_capacity,
                                                MapRange* out, std::size_t out_capacity);

// Room for normalizing a map too large for a caller's static buffers: the base of `bytes` (page
// multiple) at the start of an EfiConventionalMemory entry at or above `min_address` that no
// other entry overlaps and that lies outside every `avoid` range, or 0 when there is none.
// Conventional memory is free at kernel entry (the loader allocates as loader data), so the
// caller may use it at once; it must then keep it from the frame allocator.
std::uint64_t find_free_span(const boot::MemoryRange* entries, std::size_t count,
                             std::uint64_t bytes, std::uint64_t min_address,
                             const PhysRange* avoid, std::size_t avoid_count);

// Sum of the sizes of the ranges of class `cls`.
std::uint64_t bytes_of_class(const NormalizedMap& map, MemoryClass cls);

}  // namespace mm
