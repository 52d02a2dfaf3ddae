// A directory's entries: name -> node, found by a hash of the name, listed in creation order
// by cookie. Each entry gets the next cookie of its directory (2, 3, ...; 0 and 1 are "." and
// "..") and keeps it until it is removed, so a listing that resumes at a cookie continues
// where it stopped whatever was inserted or removed in between (docs/filesystems.md).
// Not synchronised: the directory node's lock guards every call.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/fs/ramfs/errno.h"
#include "smp/klib/format.h"

namespace ramfs {

class Node;

struct DirEntry {
  Node* node;           // holds one reference (a link)
  char* name;           // not NUL-terminated
  std::uint32_t length; // 1..255
  std::uint32_t hash;
  std::uint64_t cookie;
  DirEntry* hash_next;
};

class Directory {
 public:
  // The first cookie of a real entry; 0 is "." and 1 is "..".
  static constexpr std::uint64_t kFirstCookie = 2;

  Directory() = default;
  ~Directory();  // frees the table; entries must have been removed
  Directory(const Directory&) = delete;
  Directory& operator=(const Directory&) = delete;

  std::size_t count() const { return count_; }
  DirEntry* find(fmt::StringView name) const;

  // Makes an entry for `node` (taking over one reference the caller holds). `name` must not
  // exist. ENOMEM leaves the directory unchanged and the reference with the caller.
  Result<DirEntry*> insert(fmt::StringView name, Node* node);
  // Removes `entry` and frees it; returns the node whose reference the entry held.
  Node* remove(DirEntry* entry);

  // The entry with the smallest cookie >= `cookie`, or nullptr.
  DirEntry* at_or_after(std::uint64_t cookie) const;

  // Removes the first entry (teardown: any order does).
  DirEntry* any() const;

 private:
  struct Slot {
    std::uint64_t cookie;
    DirEntry* entry;  // nullptr once removed (compacted away later)
  };

  Result<void> grow_slots();
  Result<void> grow_buckets();
  void compact_slots();
  std::size_t slot_index(std::uint64_t cookie) const;  // first slot with cookie >= `cookie`

  DirEntry** buckets_ = nullptr;
  std::size_t bucket_count_ = 0;  // a power of two, or 0
  Slot* slots_ = nullptr;         // ascending cookies
  std::size_t slot_used_ = 0;
  std::size_t slot_capacity_ = 0;
  std::size_t count_ = 0;
  std::uint64_t next_cookie_ = kFirstCookie;
};

}  // namespace ramfs
