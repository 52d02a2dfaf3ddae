#include "kernel/fs/ramfs/page_store.h"

#include <new>

namespace ramfs {
namespace {

// The heap: pages of ordinary allocations, which no page table can map.
class HeapPageStore final : public PageStore {
 public:
  std::uint8_t* alloc() override { return new (std::nothrow) std::uint8_t[kPageSize](); }
  void release(std::uint8_t* page) override { delete[] page; }
  bool share(std::uint8_t*) override { return false; }
  std::uint64_t physical(const std::uint8_t*) override { return 0; }
  void shrinking(Node&, std::uint64_t) override {}  // nothing shares its pages: no mapping to end
};

HeapPageStore g_heap_store;
// Set by the boot CPU before any other CPU or file exists; read-only afterwards.
PageStore* g_store = &g_heap_store;

}  // namespace

PageStore& page_store() { return *g_store; }

void set_page_store(PageStore& store) { g_store = &store; }

}  // namespace ramfs
