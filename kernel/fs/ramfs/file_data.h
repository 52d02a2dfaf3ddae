// A regular file's contents: page-sized chunks allocated on first write, found through a
// two-level table (kFanout leaf tables of kFanout page pointers), so a sparse file costs only
// the pages written plus one table page per 2 MiB touched. A hole reads as zeros.
// Pages come from the page store (page_store.h): in the kernel, page frames that MAP_SHARED
// mappings map too. Not synchronised: the owning node's lock guards every call
// (kernel/fs/ramfs/node.h).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/fs/ramfs/errno.h"
#include "kernel/fs/ramfs/page_store.h"

namespace ramfs {

class FileData {
 public:
  static constexpr std::uint64_t kPageSize = 4096;
  // Pointers per table: one 4 KiB table of 8-byte pointers.
  static constexpr std::uint64_t kFanout = 512;
  // The largest file the table reaches: 512 * 512 pages of 4 KiB = 1 GiB.
  static constexpr std::uint64_t kMaxSize = kFanout * kFanout * kPageSize;

  FileData() = default;
  ~FileData();
  FileData(const FileData&) = delete;
  FileData& operator=(const FileData&) = delete;

  std::uint64_t size() const { return size_; }
  // Pages allocated (what the file really occupies).
  std::uint64_t pages() const { return pages_; }

  // Copies up to `len` bytes at `offset` into `buf`: the bytes read, 0 at or past the end.
  std::size_t read_at(std::uint64_t offset, void* buf, std::size_t len) const;

  // Copies `len` bytes from `buf` to `offset`, allocating pages as needed and growing the
  // size. The bytes written: fewer than `len` when the maximum size or memory ran out part
  // way. EFBIG when `offset` is at or past kMaxSize (and len > 0); ENOMEM when not one byte
  // could be stored.
  Result<std::size_t> write_at(std::uint64_t offset, const void* buf, std::size_t len);

  // Page `index` for a shared mapping: allocated (zeroed) when it is a hole, with one more
  // reference taken for the mapper (PageStore::share). Its physical address. ENXIO when the
  // page lies wholly at or past the end (the mapper's SIGBUS), ENOMEM, ENODEV when the store
  // cannot share pages.
  Result<std::uint64_t> share_page(std::uint64_t index);

  // Sets the size: shrinking gives up the pages past it (a page still mapped lives on in its
  // mappings, no longer part of the file) and zeroes the rest of the last page, so growing
  // again reads zeros. EFBIG above kMaxSize. Never allocates.
  Result<void> truncate(std::uint64_t size);

 private:
  using Page = std::uint8_t*;
  using Leaf = Page*;

  const std::uint8_t* page_for_read(std::uint64_t index) const;
  // The page `index`, allocated (zeroed) if missing; nullptr when memory is exhausted.
  std::uint8_t* page_for_write(std::uint64_t index);
  // Frees every page with index >= first (and leaf tables left empty).
  void free_from(std::uint64_t first);

  Leaf* root_ = nullptr;  // kFanout leaf tables, allocated on the first write
  std::uint64_t size_ = 0;
  std::uint64_t pages_ = 0;
};

}  // namespace ramfs
