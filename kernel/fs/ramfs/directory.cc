#include "kernel/fs/ramfs/directory.h"

#include <new>

namespace ramfs {
namespace {

// FNV-1a: a cheap hash that spreads short names well.
std::uint32_t hash_name(fmt::StringView name) {
  std::uint32_t h = 2166136261u;
  for (std::size_t i = 0; i < name.length; ++i) {
    h ^= static_cast<std::uint8_t>(name.data[i]);
    h *= 16777619u;
  }
  return h;
}

bool same(const DirEntry& e, fmt::StringView name, std::uint32_t hash) {
  return e.hash == hash && e.length == name.length &&
         __builtin_memcmp(e.name, name.data, name.length) == 0;
}

constexpr std::size_t kInitialBuckets = 8;
constexpr std::size_t kInitialSlots = 8;

}  // namespace

Directory::~Directory() {
  delete[] buckets_;
  delete[] slots_;
}

DirEntry* Directory::find(fmt::StringView name) const {
  if (bucket_count_ == 0) return nullptr;
  const std::uint32_t h = hash_name(name);
  for (DirEntry* e = buckets_[h & (bucket_count_ - 1)]; e != nullptr; e = e->hash_next) {
    if (same(*e, name, h)) return e;
  }
  return nullptr;
}

Result<void> Directory::grow_buckets() {
  const std::size_t n = bucket_count_ == 0 ? kInitialBuckets : bucket_count_ * 2;
  auto** fresh = new (std::nothrow) DirEntry*[n]();
  if (fresh == nullptr) return klib::make_error(Errno::kENOMEM);
  for (std::size_t b = 0; b < bucket_count_; ++b) {
    DirEntry* e = buckets_[b];
    while (e != nullptr) {
      DirEntry* next = e->hash_next;
      e->hash_next = fresh[e->hash & (n - 1)];
      fresh[e->hash & (n - 1)] = e;
      e = next;
    }
  }
  delete[] buckets_;
  buckets_ = fresh;
  bucket_count_ = n;
  return klib::Ok{};
}

void Directory::compact_slots() {
  std::size_t out = 0;
  for (std::size_t i = 0; i < slot_used_; ++i) {
    if (slots_[i].entry != nullptr) slots_[out++] = slots_[i];
  }
  slot_used_ = out;
}

Result<void> Directory::grow_slots() {
  // Removed slots first: when at least half are gone, compacting makes the room.
  if (slot_used_ - count_ >= slot_used_ / 2 && slot_used_ != 0) {
    compact_slots();
    if (slot_used_ < slot_capacity_) return klib::Ok{};
  }
  const std::size_t n = slot_capacity_ == 0 ? kInitialSlots : slot_capacity_ * 2;
  Slot* fresh = new (std::nothrow) Slot[n];
  if (fresh == nullptr) return klib::make_error(Errno::kENOMEM);
  std::size_t out = 0;
  for (std::size_t i = 0; i < slot_used_; ++i) {
    if (slots_[i].entry != nullptr) fresh[out++] = slots_[i];
  }
  delete[] slots_;
  slots_ = fresh;
  slot_used_ = out;
  slot_capacity_ = n;
  return klib::Ok{};
}

Result<DirEntry*> Directory::insert(fmt::StringView name, Node* node) {
  if (count_ + 1 > bucket_count_) TRY_OK(grow_buckets());
  if (slot_used_ == slot_capacity_) TRY_OK(grow_slots());
  auto* entry = new (std::nothrow) DirEntry;
  if (entry == nullptr) return klib::make_error(Errno::kENOMEM);
  entry->name = new (std::nothrow) char[name.length];
  if (entry->name == nullptr) {
    delete entry;
    return klib::make_error(Errno::kENOMEM);
  }
  __builtin_memcpy(entry->name, name.data, name.length);
  entry->length = static_cast<std::uint32_t>(name.length);
  entry->hash = hash_name(name);
  entry->node = node;
  entry->cookie = next_cookie_++;
  DirEntry*& head = buckets_[entry->hash & (bucket_count_ - 1)];
  entry->hash_next = head;
  head = entry;
  slots_[slot_used_++] = Slot{entry->cookie, entry};
  ++count_;
  return entry;
}

std::size_t Directory::slot_index(std::uint64_t cookie) const {
  std::size_t lo = 0, hi = slot_used_;
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    if (slots_[mid].cookie < cookie) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

Node* Directory::remove(DirEntry* entry) {
  DirEntry** link = &buckets_[entry->hash & (bucket_count_ - 1)];
  while (*link != entry) link = &(*link)->hash_next;
  *link = entry->hash_next;
  const std::size_t i = slot_index(entry->cookie);
  slots_[i].entry = nullptr;
  --count_;
  if (count_ == 0) slot_used_ = 0;  // cookies keep rising: a resumed listing stays past them
  Node* node = entry->node;
  delete[] entry->name;
  delete entry;
  return node;
}

DirEntry* Directory::at_or_after(std::uint64_t cookie) const {
  for (std::size_t i = slot_index(cookie); i < slot_used_; ++i) {
    if (slots_[i].entry != nullptr) return slots_[i].entry;
  }
  return nullptr;
}

DirEntry* Directory::any() const { return at_or_after(0); }

}  // namespace ramfs
