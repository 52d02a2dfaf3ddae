#include "kernel/vm/file_pages.h"

#include "kernel/core/panic.h"
#include "kernel/fs/ramfs/page_store.h"
#include "kernel/mm/mm.h"
#include "kernel/vm/file_mappers.h"
#include "kernel/vm/frame_shares.h"

namespace kvm {
namespace {

class FramePageStore final : public ramfs::PageStore {
 public:
  std::uint8_t* alloc() override {
    auto frame = mm::alloc_cleared_frames(1);
    return frame ? mm::phys_to<std::uint8_t>(frame.value()) : nullptr;
  }
  void release(std::uint8_t* page) override {
    const std::uint64_t phys = mm::direct_map_to_phys(page);
    if (!release_frame(phys)) return;  // still mapped somewhere: the last mapper frees it
    auto freed = mm::free_frames(phys, 1);
    if (!freed) panic("vm: freeing file page {:#x}: {}", phys, mm::describe(freed.error()));
  }
  bool share(std::uint8_t* page) override { return share_frame(mm::direct_map_to_phys(page)); }
  std::uint64_t physical(const std::uint8_t* page) override {
    return mm::direct_map_to_phys(page);
  }
  void shrinking(ramfs::Node& node, std::uint64_t size) override {
    unmap_file_tail(node, size);
  }
};

FramePageStore g_store;

}  // namespace

void install_file_page_store() { ramfs::set_page_store(g_store); }

}  // namespace kvm
