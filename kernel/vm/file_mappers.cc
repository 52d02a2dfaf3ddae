#include "kernel/vm/file_mappers.h"

#include <new>

#include "smp/locks/guard.h"
#include "smp/locks/locks.h"
#include "smp/locks/thread_annotations.h"

namespace kvm {
namespace {

// Rank 54: inside the address-space mutex (a sleeping lock, before every spinlock), beside the
// frame-share lock (55), which is never taken together with it.
constinit smp::LockClass kFileMappersClass{"file-mappers", smp::LockRank{54}};
using MappersLock = smp::TicketSpinLock<smp::NoIrqSave, kFileMappersClass>;

MappersLock g_lock;

// A record's key (node, space) is set before it is linked and never changes.
struct Record {
  const ramfs::Node* node = nullptr;
  FileMapper* space = nullptr;
  std::uint32_t regions TA_GUARDED(g_lock) = 0;  // regions of `space` mapping `node`
  std::uint32_t pins TA_GUARDED(g_lock) = 0;     // walks standing on this record
  Record* next TA_GUARDED(g_lock) = nullptr;
};

// Buckets by node: a file is mapped by few spaces, and most files by none.
constexpr std::uint32_t kBuckets = 64;

Record* g_buckets[kBuckets] TA_GUARDED(g_lock);
std::uint64_t g_records TA_GUARDED(g_lock) = 0;

std::uint32_t bucket_of(const ramfs::Node* node) {
  // Nodes are heap objects: drop the low bits every allocation shares, then fold.
  const auto v = reinterpret_cast<std::uint64_t>(node) >> 4;
  return static_cast<std::uint32_t>((v ^ (v >> 6) ^ (v >> 12)) % kBuckets);
}

// Unlinks `r` (no regions, no pins) from its bucket. g_lock held; the caller frees it after.
void unlink(Record* r) TA_REQ(g_lock) {
  for (Record** at = &g_buckets[bucket_of(r->node)]; *at != nullptr; at = &(*at)->next) {
    if (*at == r) {
      *at = r->next;
      --g_records;
      return;
    }
  }
}

// The first live record of `node` in its bucket from `from` on (null: none).
Record* next_live(Record* from, const ramfs::Node* node) TA_REQ(g_lock) {
  for (Record* r = from; r != nullptr; r = r->next) {
    if (r->node == node && r->regions != 0) return r;
  }
  return nullptr;
}

}  // namespace

bool note_file_mapping(const ramfs::Node* node, FileMapper* space) {
  auto* fresh = new (std::nothrow) Record;  // allocated before the lock, freed after if unused
  bool found = false, linked = false;
  {
    smp::Guard g{g_lock};
    Record** at = &g_buckets[bucket_of(node)];
    for (; *at != nullptr; at = &(*at)->next) {
      Record* r = *at;
      if (r->node == node && r->space == space) {
        ++r->regions;
        found = true;
        break;
      }
    }
    // A new record goes at the tail: a shrink walking the bucket meanwhile still reaches it
    // (fork notes the child while holding the parent, which that walk may not have visited).
    if (!found && fresh != nullptr) {
      fresh->node = node;
      fresh->space = space;
      fresh->regions = 1;
      *at = fresh;
      ++g_records;
      linked = true;
    }
  }
  if (!linked) delete fresh;
  return found || linked;
}

void forget_file_mapping(const ramfs::Node* node, FileMapper* space) {
  Record* dead = nullptr;
  {
    smp::Guard g{g_lock};
    for (Record* r = g_buckets[bucket_of(node)]; r != nullptr; r = r->next) {
      if (r->node != node || r->space != space || r->regions == 0) continue;
      if (--r->regions == 0 && r->pins == 0) {
        unlink(r);
        dead = r;
      }
      break;
    }
  }
  delete dead;
}

void unmap_file_tail(const ramfs::Node& node, std::uint64_t size) {
  Record* r;
  FileMapper* space = nullptr;
  {
    smp::Guard g{g_lock};
    r = next_live(g_buckets[bucket_of(&node)], &node);
    if (r == nullptr) return;
    ++r->pins;
    if (r->space->try_get()) space = r->space;
  }
  while (r != nullptr) {
    // A space whose last reference is already gone is ending: its pages go with it.
    if (space != nullptr) {
      space->drop_file_pages(&node, size);
      space->put();
    }
    Record* dead = nullptr;
    Record* next;
    space = nullptr;
    {
      smp::Guard g{g_lock};
      next = next_live(r->next, &node);
      if (next != nullptr) {
        ++next->pins;
        if (next->space->try_get()) space = next->space;
      }
      if (--r->pins == 0 && r->regions == 0) {
        unlink(r);
        dead = r;
      }
    }
    delete dead;
    r = next;
  }
}

std::uint64_t file_mapping_records() {
  smp::Guard g{g_lock};
  return g_records;
}

}  // namespace kvm
