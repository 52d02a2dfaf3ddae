// The pages of regular files (ramfs::PageStore) as page frames, so that MAP_SHARED mappings
// map the file's own pages (docs/user-space.md, "File mappings"). A file page is reached by the
// file system through the direct map; the file holds one reference, every space mapping it one
// more, counted in the frame share table (frame_shares.h) as pages shared after fork are: the
// frame goes back to the allocator with the last of them.
#pragma once

namespace kvm {

// Makes the root file system allocate file pages as frames. Boot CPU, once, before the initramfs
// is unpacked (no file has pages yet).
void install_file_page_store();

}  // namespace kvm
