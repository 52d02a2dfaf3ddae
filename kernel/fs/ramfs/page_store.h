// Where a regular file's pages come from (FileData), so that the kernel can hand the very same
// pages to the page tables of MAP_SHARED mappings (docs/user-space.md, "File mappings") while
// the file system stays a pure library that the host tests build.
//
// A page is 4 KiB, zeroed when allocated. The file holds one reference to each of its pages;
// share() adds one for a mapper under the owning node's lock, and release() drops the file's
// own when the file lets the page go (truncate, the last link and open file gone). A store
// frees a page only when the last reference is gone. When a file shrinks, shrinking() tells the
// store before the file lets its pages go, and the store's mappings then let go of the pages
// past the new end (Linux's unmap_mapping_range): their next access gets SIGBUS.
//
// The default store is the heap, which cannot share (share() is false): the kernel installs
// one backed by page frames at boot (kvm::install_file_page_store), before any file exists.
#pragma once

#include <cstdint>

namespace ramfs {

class Node;

class PageStore {
 public:
  static constexpr std::uint64_t kPageSize = 4096;

  // A zeroed page, or nullptr when memory ran out. Any context a node lock may be held in.
  virtual std::uint8_t* alloc() = 0;
  // The file gives up its reference to `page` (from alloc()).
  virtual void release(std::uint8_t* page) = 0;
  // One more reference to `page` for a mapper, who later gives it back its own way. False
  // when the store cannot share pages or has no room to count one more: nothing changed.
  virtual bool share(std::uint8_t* page) = 0;
  // Where the page is physically, for page tables (0 for a store that cannot share).
  virtual std::uint64_t physical(const std::uint8_t* page) = 0;
  // `node` (a regular file) is shrinking to `size` bytes: mappings of its pages wholly past the
  // new end must go. The node hands out no such page meanwhile and cuts the file after this
  // returns. Called by Node::truncate with no node lock held.
  virtual void shrinking(Node& node, std::uint64_t size) = 0;

 protected:
  ~PageStore() = default;
};

// The store new pages come from. Set once, before the first file is written; never changed
// while a file has pages (each page goes back to the store it came from).
PageStore& page_store();
void set_page_store(PageStore& store);

}  // namespace ramfs
