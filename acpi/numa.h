// The NUMA layout the SRAT describes, with the SLIT's distances when it has a usable one: the
// node (proximity domain) of each processor and of each memory range, and how far nodes are
// from one another. What an allocator needs to take memory near the CPU that asks first: the
// node of a CPU, the node of a physical address, and the other nodes nearest first.
//
// Rules (ACPI 6.5 §5.2.16-17, and what Linux does): only Enabled entries count; a node exists
// when an enabled processor or memory entry names its domain; without a usable SLIT (absent,
// or not 10 on the diagonal and above 10 elsewhere, Slit::usable) a node is 10 from itself and
// 20 from any other (Linux's LOCAL_DISTANCE and REMOTE_DISTANCE), and so is a pair of domains
// the SLIT does not cover.
//
// No fixed cap: measure_numa() counts, the caller provides the storage, build_numa() fills it
// (like measure_topology / build_topology).
#pragma once

#include <cstdint>

#include "acpi/error.h"
#include "acpi/slit.h"
#include "acpi/srat.h"
#include "acpi/topology.h"

namespace acpi {

inline constexpr std::uint32_t kNoNode = 0xFFFFFFFF;
inline constexpr std::uint8_t kRemoteDistance = 20;

struct NumaProcessor {
  ApicId apic_id{};
  std::uint32_t node = 0;
};

struct NumaRange {
  std::uint64_t base = 0;
  std::uint64_t end = 0;  // exclusive
  std::uint32_t node = 0;
  bool hot_pluggable = false;
};

// Upper bounds from the entry counts: every enabled entry could name a node of its own.
struct NumaSizes {
  std::uint32_t processors = 0;
  std::uint32_t ranges = 0;
  std::uint32_t nodes() const { return processors + ranges; }
};

struct Numa {
  Slots<NumaProcessor> processors;
  Slots<NumaRange> ranges;   // enabled memory ranges of nonzero length, in table order
  Slots<std::uint32_t> nodes;  // the distinct domains, in order of first appearance
  Slit slit;
  bool has_slit = false;  // a usable SLIT is behind distance()

  // The node of the processor with `id`, or kNoNode when the SRAT does not list it.
  std::uint32_t node_of(ApicId id) const;
  // The node of the memory range holding `phys`, or kNoNode.
  std::uint32_t node_of_address(std::uint64_t phys) const;
  // The distance from node `from` to node `to` (domain numbers).
  std::uint8_t distance(std::uint32_t from, std::uint32_t to) const;
  // Writes every node into `out` (room for nodes.size), nearest to `from` first: `from` itself,
  // then by distance, ties by the order of `nodes`. Returns how many were written.
  std::uint32_t nearest_first(std::uint32_t from, std::uint32_t* out, std::uint32_t capacity) const;
};

// Counting pass: validates every SRAT entry and counts the enabled ones.
klib::Result<NumaSizes, Error> measure_numa(const Srat& srat);

// Fills `out`, whose Slots the caller has pointed at storage of at least the measured sizes
// (nodes: sizes.nodes()). `slit` may be null; one that is not usable is left out (has_slit
// false). Errors: malformed entries, kStorageTooSmall.
klib::Result<void, Error> build_numa(const Srat& srat, const Slit* slit, Numa& out);

}  // namespace acpi
