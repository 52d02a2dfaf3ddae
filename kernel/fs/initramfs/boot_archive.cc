#include "kernel/fs/initramfs/boot_archive.h"

#include "kernel/console/log.h"
#include "kernel/fs/initramfs/cpio.h"
#include "kernel/files/devices.h"
#include "kernel/fs/ramfs/unpack.h"
#include "kernel/time/rtc.h"
#include "kernel/mm/mm.h"

namespace initramfs {
namespace {

constexpr std::uint64_t kPageSize = 4096;

ramfs::Filesystem* g_root = nullptr;  // set once at boot, read-only after

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

}  // namespace

bool report_boot_archive(const boot::BootInfo& info) {
  if (info.initramfs == 0) {
    klog::info("initramfs: none");
    return false;
  }
  if (!in_loader_data(info, info.initramfs, info.initramfs_size)) {
    klog::error("initramfs: {} bytes at {:#x} are not in loader memory; ignored",
                info.initramfs_size, info.initramfs);
    return false;
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
    return false;
  }
  const CpioSummary& s = summary.value();
  klog::info("initramfs: {} entries ({} directories, {} files of {} bytes, {} symlinks, {} other) "
             "in {} bytes",
             s.entries, s.directories, s.files, s.file_bytes, s.symlinks, s.others,
             info.initramfs_size);
  return true;
}

void build_root(const boot::BootInfo& info, bool archive_ok) {
  ramfs::NodeAttributes root_attrs;
  root_attrs.mode = 0755;
  root_attrs.time_ns = static_cast<std::int64_t>(ktime::realtime_ns());
  g_root = ramfs::Filesystem::create(root_attrs);
  if (g_root == nullptr) {
    klog::error("ramfs: no memory for the root file system");
    return;
  }
  if (!archive_ok) {
    kfiles::populate_dev(*g_root);
    return;
  }
  auto unpacked = ramfs::unpack(*g_root, mm::phys_to<const std::uint8_t>(info.initramfs),
                                info.initramfs_size);
  if (!unpacked) {
    const ramfs::UnpackProblem& p = unpacked.error();
    klog::error("ramfs: entry \"{}\" at offset {}: {}; the entries before it are unpacked",
                p.name, p.offset, p.reason());
    kfiles::populate_dev(*g_root);
    return;
  }
  const ramfs::UnpackCounts& c = unpacked.value();
  klog::info("ramfs: root unpacked: {} files ({} bytes), {} directories, {} symlinks, {} special",
             c.files, c.file_bytes, c.directories + c.implied_directories, c.symlinks, c.specials);
  kfiles::populate_dev(*g_root);
}

ramfs::Filesystem* root_filesystem() { return g_root; }

}  // namespace initramfs
