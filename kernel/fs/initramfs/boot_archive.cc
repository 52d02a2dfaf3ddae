#include "kernel/fs/initramfs/boot_archive.h"

#include "kernel/console/log.h"
#include "kernel/fs/initramfs/cpio.h"
#include "kernel/fs/ramfs/unpack.h"
#include "kernel/mm/mm.h"
#include "smp/atomic.h"

namespace initramfs {
namespace {

constexpr std::uint64_t kPageSize = 4096;
constexpr std::uint64_t kKiB = 1024;

// Set once on the boot CPU before the other CPUs start; release/acquire so a reader on any CPU
// that sees the pointer also sees the tree built before it was published.
smp::Atomic<ramfs::Filesystem*> g_root{nullptr};

// Whether [phys, phys + size) lies inside one loader-data range of the firmware map: the only
// place the loader puts it, and memory the direct map covers and nothing else owns yet.
bool in_loader_data(const boot::BootInfo& info, std::uint64_t phys, std::uint64_t size) {
  const auto* map = mm::phys_to<const boot::MemoryRange>(info.memory_map);
  for (std::uint32_t i = 0; i < info.memory_map_count; ++i) {
    const boot::MemoryRange& r = map[i];
    if (r.type != boot::EfiMemoryType::kLoaderData) continue;
    if (r.page_count > (~std::uint64_t{0} - r.physical_start) / kPageSize) continue;
    const std::uint64_t end = r.physical_start + r.page_count * kPageSize;
    if (phys >= r.physical_start && phys < end && size <= end - phys) return true;
  }
  return false;
}

// Checks the archive and reports what it holds: the archive, or nullptr when there is none or
// it is refused (reported).
const std::uint8_t* checked_archive(const boot::BootInfo& info) {
  if (info.initramfs == 0) {
    klog::info("initramfs: none");
    return nullptr;
  }
  if (!in_loader_data(info, info.initramfs, info.initramfs_size)) {
    klog::error("initramfs: {} bytes at {:#x} are not in loader memory; ignored",
                info.initramfs_size, info.initramfs);
    return nullptr;
  }
  const auto* archive = mm::phys_to<const std::uint8_t>(info.initramfs);
  auto summary = summarize(archive, info.initramfs_size);
  if (!summary.ok()) {
    const CpioProblem& p = summary.error();
    if (p.name.length != 0) {
      klog::error("initramfs: entry \"{}\" at offset {}: {}; archive ignored", p.name, p.offset,
                  cpio_error_name(p.error));
    } else {
      klog::error("initramfs: at offset {}: {}; archive ignored", p.offset,
                  cpio_error_name(p.error));
    }
    return nullptr;
  }
  const CpioSummary& s = summary.value();
  klog::info("initramfs: {} entries ({} directories, {} files of {} bytes, {} symlinks, {} other) "
             "in {} bytes",
             s.entries, s.directories, s.files, s.file_bytes, s.symlinks, s.others,
             info.initramfs_size);
  return archive;
}

// Unpacks the checked archive into `fs`; true when it was unpacked whole (reported).
bool unpack_into(ramfs::Filesystem& fs, const std::uint8_t* archive, std::uint64_t size) {
  auto unpacked = ramfs::unpack(fs, archive, size);
  if (!unpacked.ok()) {
    const ramfs::UnpackProblem& p = unpacked.error();
    klog::error("ramfs: entry \"{}\" at offset {}: {}; the root holds the entries before it",
                p.name, p.offset, p.reason());
    return false;
  }
  const ramfs::UnpackCounts& c = unpacked.value();
  klog::info("ramfs: unpacked {} files, {} dirs, {} symlinks, {} special, {} hard links ({} KiB), "
             "{} nodes",
             c.files, c.directories + c.implied_directories, c.symlinks, c.specials, c.hardlinks,
             (c.file_bytes + kKiB - 1) / kKiB, fs.live_nodes());
  return true;
}

}  // namespace

bool report_boot_archive(const boot::BootInfo& info) {
  ramfs::NodeAttributes root_attrs;
  root_attrs.mode = 0755;
  ramfs::Filesystem* fs = ramfs::Filesystem::create(root_attrs);
  if (fs == nullptr) {
    klog::error("ramfs: no memory for the root file system");
    return false;
  }
  const std::uint8_t* archive = checked_archive(info);
  const bool whole = archive != nullptr && unpack_into(*fs, archive, info.initramfs_size);
  if (archive == nullptr) klog::info("ramfs: the root is empty");
  g_root.store(fs, std::memory_order_release);
  return whole;
}

ramfs::Filesystem* root_filesystem() { return g_root.load(std::memory_order_acquire); }

}  // namespace initramfs
