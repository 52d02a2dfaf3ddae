// Normalization by a sweep over range boundaries: every valid firmware entry becomes a start
// and an end event; after sorting, a walk keeps a count of open entries per class and emits a
// piece wherever the most restrictive open class changes. This resolves any pattern of
// overlaps in O(n log n) without trusting the firmware's order.
#include "kernel/mm/memory_map.h"

namespace mm {
namespace {

constexpr std::uint64_t kPageMask = boot::kPageSize - 1;
constexpr std::size_t kClassCount = 4;

// Events at the same address: ends before starts, so touching entries do not count as overlap.
bool event_less(const MapEvent& a, const MapEvent& b) {
  if (a.address != b.address) return a.address < b.address;
  return !a.start && b.start;
}

// Heapsort: in place, O(n log n) worst case, no allocation (the kernel runs this before the
// heap exists) and no recursion.
void sift_down(MapEvent* v, std::size_t root, std::size_t n) {
  for (;;) {
    std::size_t child = 2 * root + 1;
    if (child >= n) return;
    if (child + 1 < n && event_less(v[child], v[child + 1])) ++child;
    if (!event_less(v[root], v[child])) return;
    const MapEvent t = v[root];
    v[root] = v[child];
    v[child] = t;
    root = child;
  }
}

void sort_events(MapEvent* v, std::size_t n) {
  if (n < 2) return;
  for (std::size_t i = n / 2; i-- > 0;) sift_down(v, i, n);
  for (std::size_t end = n - 1; end > 0; --end) {
    const MapEvent t = v[0];
    v[0] = v[end];
    v[end] = t;
    sift_down(v, 0, end);
  }
}

bool is_free_class(MemoryClass cls) {
  return cls == MemoryClass::kUsable || cls == MemoryClass::kReclaimable;
}

}  // namespace

const char* describe(MemoryClass cls) {
  switch (cls) {
    case MemoryClass::kUsable: return "usable";
    case MemoryClass::kReclaimable: return "reclaimable";
    case MemoryClass::kKeptRam: return "kept RAM";
    case MemoryClass::kKept: return "kept";
  }
  return "?";
}

MemoryClass classify(boot::EfiMemoryType type) {
  using T = boot::EfiMemoryType;
  switch (type) {
    case T::kConventional: return MemoryClass::kUsable;
    case T::kLoaderCode:
    case T::kLoaderData:
    case T::kBootServicesCode:
    case T::kBootServicesData: return MemoryClass::kReclaimable;
    case T::kRuntimeServicesCode:
    case T::kRuntimeServicesData:
    case T::kAcpiReclaim:  // holds the ACPI tables, which the kernel parses after boot
    case T::kAcpiNvs:
    case T::kPersistent:   // NVDIMM contents belong to the user, not to the allocator
    case T::kUnaccepted:   // must be accepted (TDX/SEV-SNP) before use; not supported yet
      return MemoryClass::kKeptRam;
    case T::kReserved:
    case T::kUnusable:
    case T::kMemoryMappedIo:
    case T::kMemoryMappedIoPortSpace:
    case T::kPalCode: return MemoryClass::kKept;
  }
  return MemoryClass::kKept;  // OEM / OS-defined / unknown types: leave them alone
}

const char* describe(AnomalyKind kind) {
  switch (kind) {
    case AnomalyKind::kZeroLength: return "zero length";
    case AnomalyKind::kUnaligned: return "unaligned start";
    case AnomalyKind::kOverflow: return "end beyond 2^52 or wrapping";
    case AnomalyKind::kBeyondLimit: return "start beyond 2^52";
    case AnomalyKind::kOverlap: return "overlap";
  }
  return "?";
}

const char* describe(MapError error) {
  switch (error) {
    case MapError::kOutputTooSmall: return "output too small";
  }
  return "?";
}

void AnomalyReport::add(AnomalyKind kind, std::uint32_t index, std::uint64_t address) {
  if (count < kKept) first[count] = Anomaly{kind, index, address};
  ++count;
}

klib::Result<NormalizedMap, MapError> normalize(const boot::MemoryRange* entries, std::size_t count,
                                                MapEvent* scratch, std::size_t scratch_capacity,
                                                MapRange* out, std::size_t out_capacity) {
  NormalizedMap map;
  map.ranges = out;

  // 1. Validate each entry and turn it into two events. `pass`: 0 = every entry (scratch big
  // enough), 1 = kept classes only, 2 = free classes only (scratch too small: kept first).
  std::size_t events = 0;
  auto add_entry = [&](std::size_t i, int pass) {
    const boot::MemoryRange e = entries[i];  // one read: the source may be firmware memory
    const auto index = static_cast<std::uint32_t>(i);
    const MemoryClass cls = classify(e.type);
    const bool free = is_free_class(cls);
    if ((pass == 1 && free) || (pass == 2 && !free)) return;
    if (e.page_count == 0) {
      map.anomalies.add(AnomalyKind::kZeroLength, index, e.physical_start);
      return;
    }
    if (e.physical_start >= kMaxPhysicalAddress) {
      map.anomalies.add(AnomalyKind::kBeyondLimit, index, e.physical_start);
      return;
    }
    std::uint64_t start = e.physical_start;
    // page_count * 4096 must not overflow and the end must stay below 2^52. The division form
    // of the check cannot itself overflow.
    const std::uint64_t room_pages = (kMaxPhysicalAddress - (start & ~kPageMask)) / boot::kPageSize;
    std::uint64_t end;
    if (e.page_count > room_pages) {
      map.anomalies.add(AnomalyKind::kOverflow, index, e.physical_start);
      // A free range this wrong is not trusted at all; a kept one is clamped so the memory it
      // may cover stays protected.
      if (free) return;
      end = kMaxPhysicalAddress;
    } else {
      end = start + e.page_count * boot::kPageSize;
    }
    if ((start & kPageMask) != 0) {
      map.anomalies.add(AnomalyKind::kUnaligned, index, e.physical_start);
      if (free) {
        // Shrink: only whole pages the firmware really described are handed out.
        start = (start + kPageMask) & ~kPageMask;
        end &= ~kPageMask;
      } else {
        // Grow: every page the entry touches stays protected.
        start &= ~kPageMask;
        end = end >= kMaxPhysicalAddress ? kMaxPhysicalAddress : (end + kPageMask) & ~kPageMask;
      }
      if (start >= end) return;
    }
    if (scratch_capacity - events < 2) {
      ++map.dropped_entries;
      if (free) map.dropped_free_bytes += end - start;
      else ++map.dropped_kept_entries;
      return;
    }
    scratch[events++] = MapEvent{start, index, cls, true};
    scratch[events++] = MapEvent{end, index, cls, false};
  };
  if (count <= scratch_capacity / 2) {
    for (std::size_t i = 0; i < count; ++i) add_entry(i, 0);
  } else {
    for (std::size_t i = 0; i < count; ++i) add_entry(i, 1);
    for (std::size_t i = 0; i < count; ++i) add_entry(i, 2);
  }

  // 2. Sweep.
  sort_events(scratch, events);
  std::uint32_t open[kClassCount] = {};
  std::uint32_t open_total = 0;
  std::uint64_t previous = 0;
  for (std::size_t i = 0; i < events;) {
    const std::uint64_t here = scratch[i].address;
    if (open_total > 0 && previous < here) {
      MemoryClass cls = MemoryClass::kUsable;
      for (std::size_t c = kClassCount; c-- > 0;) {
        if (open[c] > 0) {
          cls = static_cast<MemoryClass>(c);
          break;
        }
      }
      MapRange* last = map.count > 0 ? &out[map.count - 1] : nullptr;
      if (last && last->end() == previous && last->cls == cls) {
        last->size += here - previous;
      } else {
        if (map.count == out_capacity) return klib::make_error(MapError::kOutputTooSmall);
        out[map.count++] = MapRange{previous, here - previous, cls};
      }
    }
    for (; i < events && scratch[i].address == here; ++i) {
      const MapEvent& ev = scratch[i];
      const auto c = static_cast<std::size_t>(ev.cls);
      if (ev.start) {
        if (open_total > 0) map.anomalies.add(AnomalyKind::kOverlap, ev.index, here);
        ++open[c];
        ++open_total;
      } else {
        --open[c];
        --open_total;
      }
    }
    previous = here;
  }
  return map;
}

std::uint64_t find_free_span(const boot::MemoryRange* entries, std::size_t count,
                             std::uint64_t bytes, std::uint64_t min_address,
                             const PhysRange* avoid, std::size_t avoid_count) {
  if (bytes == 0 || bytes >= kMaxPhysicalAddress) return 0;
  auto overlaps = [](std::uint64_t a, std::uint64_t a_end, std::uint64_t b, std::uint64_t b_end) {
    return a < b_end && b < a_end;
  };
  const std::uint64_t pages = (bytes + kPageMask) / boot::kPageSize;
  for (std::size_t i = 0; i < count; ++i) {
    const boot::MemoryRange e = entries[i];
    if (e.type != boot::EfiMemoryType::kConventional) continue;
    const std::uint64_t base = e.physical_start;
    if ((base & kPageMask) != 0 || base < min_address || base >= kMaxPhysicalAddress) continue;
    if (e.page_count < pages) continue;
    const std::uint64_t end = base + pages * boot::kPageSize;  // pages < 2^52 / 4096: no wrap
    if (end > kMaxPhysicalAddress) continue;
    bool clear = true;
    for (std::size_t j = 0; j < count && clear; ++j) {
      if (j == i) continue;
      const boot::MemoryRange o = entries[j];
      if (o.page_count == 0 || o.physical_start >= kMaxPhysicalAddress) continue;
      const std::uint64_t room = (kMaxPhysicalAddress - o.physical_start) / boot::kPageSize;
      const std::uint64_t o_end = o.page_count > room ? kMaxPhysicalAddress
                                                      : o.physical_start + o.page_count * boot::kPageSize;
      clear = !overlaps(base, end, o.physical_start & ~kPageMask, o_end);
    }
    for (std::size_t j = 0; j < avoid_count && clear; ++j) {
      const std::uint64_t a_end = avoid[j].size > kMaxPhysicalAddress - avoid[j].base
                                      ? kMaxPhysicalAddress
                                      : avoid[j].base + avoid[j].size;
      clear = avoid[j].base >= kMaxPhysicalAddress || !overlaps(base, end, avoid[j].base, a_end);
    }
    if (clear) return base;
  }
  return 0;
}

std::uint64_t bytes_of_class(const NormalizedMap& map, MemoryClass cls) {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < map.count; ++i) {
    if (map.ranges[i].cls == cls) total += map.ranges[i].size;
  }
  return total;
}

}  // namespace mm
