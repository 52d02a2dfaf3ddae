// Step 6b: initramfs.cpio beside the loader, read as it is into loader memory for the kernel
// (which checks it entry by entry). Optional: without the file the kernel boots with no
// initramfs; a file that cannot be read is reported and left out.
#include "efi/console.h"
#include "efi/loader.h"

namespace loader {

void load_initramfs(EFI_HANDLE image, boot::BootInfo& info) {
  info.initramfs = 0;
  info.initramfs_size = 0;
  auto file = read_file_beside_loader(image, u"initramfs.cpio");
  if (!file.ok()) {
    if (file.error() == EFI_NOT_FOUND) {
      log("no initramfs.cpio beside the loader");
    } else {
      log("warning: initramfs.cpio unreadable (status {:#x}); booting without it", file.error());
    }
    return;
  }
  if (file.value().size == 0) {
    log("warning: initramfs.cpio is empty; booting without it");
    free_file(file.value());
    return;
  }
  // Kept, not freed: the buffer is loader memory, which the kernel reclaims only after it has
  // read the archive.
  info.initramfs = reinterpret_cast<std::uint64_t>(file.value().data);
  info.initramfs_size = file.value().size;
  log("initramfs.cpio: {} bytes at {:#x}", info.initramfs_size, info.initramfs);
}

}  // namespace loader
