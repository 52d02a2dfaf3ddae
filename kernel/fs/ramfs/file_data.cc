#include "kernel/fs/ramfs/file_data.h"

#include <new>

namespace ramfs {

FileData::~FileData() {
  free_from(0);
  delete[] root_;
}

const std::uint8_t* FileData::page_for_read(std::uint64_t index) const {
  if (root_ == nullptr) return nullptr;
  const Leaf leaf = root_[index / kFanout];
  return leaf == nullptr ? nullptr : leaf[index % kFanout];
}

std::uint8_t* FileData::page_for_write(std::uint64_t index) {
  if (root_ == nullptr) {
    root_ = new (std::nothrow) Leaf[kFanout]();
    if (root_ == nullptr) return nullptr;
  }
  Leaf& leaf = root_[index / kFanout];
  if (leaf == nullptr) {
    leaf = new (std::nothrow) Page[kFanout]();
    if (leaf == nullptr) return nullptr;
  }
  Page& page = leaf[index % kFanout];
  if (page == nullptr) {
    page = page_store().alloc();
    if (page == nullptr) return nullptr;
    ++pages_;
  }
  return page;
}

void FileData::free_from(std::uint64_t first) {
  if (root_ == nullptr) return;
  for (std::uint64_t l = first / kFanout; l < kFanout; ++l) {
    Leaf leaf = root_[l];
    if (leaf == nullptr) continue;
    const std::uint64_t from = l == first / kFanout ? first % kFanout : 0;
    bool empty = true;
    for (std::uint64_t i = 0; i < kFanout; ++i) {
      if (i >= from && leaf[i] != nullptr) {
        page_store().release(leaf[i]);
        leaf[i] = nullptr;
        --pages_;
      }
      if (leaf[i] != nullptr) empty = false;
    }
    if (empty) {
      delete[] leaf;
      root_[l] = nullptr;
    }
  }
}

std::size_t FileData::read_at(std::uint64_t offset, void* buf, std::size_t len) const {
  if (offset >= size_) return 0;
  if (len > size_ - offset) len = static_cast<std::size_t>(size_ - offset);
  auto* out = static_cast<std::uint8_t*>(buf);
  std::size_t done = 0;
  while (done < len) {
    const std::uint64_t pos = offset + done;
    const std::uint64_t in_page = pos % kPageSize;
    std::size_t chunk = static_cast<std::size_t>(kPageSize - in_page);
    if (chunk > len - done) chunk = len - done;
    const std::uint8_t* page = page_for_read(pos / kPageSize);
    if (page == nullptr) {
      __builtin_memset(out + done, 0, chunk);  // a hole
    } else {
      __builtin_memcpy(out + done, page + in_page, chunk);
    }
    done += chunk;
  }
  return len;
}

Result<std::size_t> FileData::write_at(std::uint64_t offset, const void* buf, std::size_t len) {
  if (len == 0) return std::size_t{0};
  if (offset >= kMaxSize) return klib::make_error(Errno::kEFBIG);
  if (len > kMaxSize - offset) len = static_cast<std::size_t>(kMaxSize - offset);
  const auto* in = static_cast<const std::uint8_t*>(buf);
  std::size_t done = 0;
  while (done < len) {
    const std::uint64_t pos = offset + done;
    const std::uint64_t in_page = pos % kPageSize;
    std::size_t chunk = static_cast<std::size_t>(kPageSize - in_page);
    if (chunk > len - done) chunk = len - done;
    std::uint8_t* page = page_for_write(pos / kPageSize);
    if (page == nullptr) break;
    __builtin_memcpy(page + in_page, in + done, chunk);
    done += chunk;
  }
  if (done == 0) return klib::make_error(Errno::kENOMEM);
  if (offset + done > size_) size_ = offset + done;
  return done;
}

Result<std::uint64_t> FileData::share_page(std::uint64_t index) {
  if (index >= kFanout * kFanout || index * kPageSize >= size_) {
    return klib::make_error(Errno::kENXIO);
  }
  std::uint8_t* page = page_for_write(index);
  if (page == nullptr) return klib::make_error(Errno::kENOMEM);
  if (!page_store().share(page)) return klib::make_error(Errno::kENODEV);
  return page_store().physical(page);
}

Result<void> FileData::truncate(std::uint64_t size) {
  if (size > kMaxSize) return klib::make_error(Errno::kEFBIG);
  if (size < size_) {
    free_from((size + kPageSize - 1) / kPageSize);
    if (size % kPageSize != 0) {
      // The last page stays: zero what lies past the new end so it reads as zeros if the
      // file grows again.
      std::uint8_t* page = const_cast<std::uint8_t*>(page_for_read(size / kPageSize));
      if (page != nullptr) {
        __builtin_memset(page + size % kPageSize, 0, kPageSize - size % kPageSize);
      }
    }
  }
  size_ = size;
  return klib::Ok{};
}

}  // namespace ramfs
