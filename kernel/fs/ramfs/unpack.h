// Unpacking the initramfs (a cpio "newc" archive, kernel/fs/initramfs/cpio.h) into an
// in-memory file system, as Linux's init/initramfs.c does: directories, regular files (their
// data copied, so the archive's memory can be freed afterwards), symlinks, and device nodes,
// FIFOs and sockets as special nodes (type and device number kept for /dev to bind later).
// Directories the archive leaves out are made (0755, root's) as paths need them; hard links
// (regular files with nlink > 1 and the same device and inode number) become links of one
// node. A later entry of the same path wins: the earlier node is removed first (a directory
// only when empty) unless both are directories, whose attributes are then updated.
// A directory's mtime is the time of its last change during the unpacking, not the archive's.
#pragma once

#include <cstdint>

#include "kernel/fs/initramfs/cpio.h"
#include "kernel/fs/ramfs/errno.h"
#include "kernel/fs/ramfs/filesystem.h"
#include "smp/klib/format.h"
#include "smp/klib/result.h"

namespace ramfs {

struct UnpackCounts {
  std::uint32_t files = 0;        // regular files (each hard link counted once, in hardlinks)
  std::uint32_t directories = 0;  // directory entries, the archive's root entry included
  std::uint32_t implied_directories = 0;  // made for paths whose directory was not listed
  std::uint32_t symlinks = 0;
  std::uint32_t specials = 0;   // device nodes, FIFOs, sockets
  std::uint32_t hardlinks = 0;  // names linked to a file made earlier
  std::uint32_t skipped = 0;    // entries whose mode names no file type
  std::uint64_t file_bytes = 0; // data copied into regular files
};

struct UnpackProblem {
  bool in_archive;             // the archive itself is malformed: `cpio` says how
  initramfs::CpioError cpio;   // when in_archive
  Errno error;                 // otherwise: why the entry could not be made
  std::uint64_t offset;        // of the entry's header in the archive
  fmt::StringView name;        // the entry's path (into the archive); empty if unreadable

  // The cpio error's name or the errno's, for reports.
  const char* reason() const;
};

// Unpacks `archive` (`size` bytes) into `fs` from its root. Stops at the first problem, which
// names the entry and its offset; what came before it stays in `fs`. Every node it creates
// is complete (no half-written file is left behind by ENOMEM: the entry is the problem).
klib::Result<UnpackCounts, UnpackProblem> unpack(Filesystem& fs, const std::uint8_t* archive,
                                                 std::uint64_t size);

}  // namespace ramfs
