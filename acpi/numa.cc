#include "acpi/numa.h"

namespace acpi {
namespace {

klib::Unexpected<Error> storage_error(const Srat& srat, std::uint32_t needed) {
  return make_error(srat.table().header.signature, 0, Reason::kStorageTooSmall, needed);
}

}  // namespace

klib::Result<NumaSizes, Error> measure_numa(const Srat& srat) {
  NumaSizes sizes;
  for (auto c = srat.entries();;) {
    SratEntry e;
    if (!TRY(c.next(e))) break;
    if (!e.enabled()) continue;
    if (e.is(SratType::kMemory)) {
      ++sizes.ranges;
    } else if (e.is(SratType::kProcessorApic) || e.is(SratType::kProcessorX2Apic)) {
      ++sizes.processors;
    }
  }
  return sizes;
}

klib::Result<void, Error> build_numa(const Srat& srat, const Slit* slit, Numa& out) {
  out.processors.size = out.ranges.size = out.nodes.size = 0;
  const auto note_node = [&](std::uint32_t node) {
    for (std::uint32_t i = 0; i < out.nodes.size; ++i) {
      if (out.nodes[i] == node) return true;
    }
    return out.nodes.push(node);
  };
  for (auto c = srat.entries();;) {
    SratEntry e;
    if (!TRY(c.next(e))) break;
    if (!e.enabled()) continue;
    if (e.is(SratType::kMemory)) {
      if (e.memory.length == 0) continue;
      // A range whose end wraps is cut at the top of the address space.
      const std::uint64_t end = e.memory.base + e.memory.length < e.memory.base
                                    ? ~0ull
                                    : e.memory.base + e.memory.length;
      const NumaRange r{e.memory.base, end, e.memory.domain,
                        (e.memory.flags & kSratMemHotPluggable) != 0};
      if (!out.ranges.push(r)) return storage_error(srat, out.ranges.size + 1);
      if (!note_node(r.node)) return storage_error(srat, out.nodes.size + 1);
    } else if (e.is(SratType::kProcessorApic) || e.is(SratType::kProcessorX2Apic)) {
      const NumaProcessor p{e.processor.apic_id, e.processor.domain};
      if (!out.processors.push(p)) {
        return storage_error(srat, out.processors.size + 1);
      }
      if (!note_node(p.node)) return storage_error(srat, out.nodes.size + 1);
    }
  }
  out.has_slit = slit != nullptr && slit->usable(nullptr);
  if (out.has_slit) out.slit = *slit;
  return klib::Ok{};
}

std::uint32_t Numa::node_of(ApicId id) const {
  for (std::uint32_t i = 0; i < processors.size; ++i) {
    if (processors[i].apic_id == id) return processors[i].node;
  }
  return kNoNode;
}

std::uint32_t Numa::node_of_address(std::uint64_t phys) const {
  for (std::uint32_t i = 0; i < ranges.size; ++i) {
    if (phys >= ranges[i].base && phys < ranges[i].end) return ranges[i].node;
  }
  return kNoNode;
}

std::uint8_t Numa::distance(std::uint32_t from, std::uint32_t to) const {
  if (has_slit && from < slit.localities() && to < slit.localities()) return slit.distance(from, to);
  return from == to ? Slit::kLocalDistance : kRemoteDistance;
}

std::uint32_t Numa::nearest_first(std::uint32_t from, std::uint32_t* out,
                                  std::uint32_t capacity) const {
  std::uint32_t n = 0;
  // Selection by (distance, position in `nodes`): a few nodes, so quadratic is fine.
  for (std::uint32_t round = 0; round < nodes.size && n < capacity; ++round) {
    std::uint32_t best = kNoNode;
    std::uint32_t best_distance = 0x100;
    for (std::uint32_t i = 0; i < nodes.size; ++i) {
      bool taken = false;
      for (std::uint32_t k = 0; k < n && !taken; ++k) taken = out[k] == nodes[i];
      if (taken) continue;
      const std::uint32_t d = nodes[i] == from ? 0 : distance(from, nodes[i]);
      if (d < best_distance) {
        best_distance = d;
        best = nodes[i];
      }
    }
    out[n++] = best;
  }
  return n;
}

}  // namespace acpi
