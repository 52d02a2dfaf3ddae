// Files of the root file system (ramfs): regular files and directories opened by path. Data
// moves through a small kernel buffer: the node's lock is a spinlock, so user memory is never
// touched while it is held.
#pragma once

#include "kernel/files/file.h"
#include "kernel/fs/ramfs/node.h"

namespace kfiles {

// A new open file of `node` (a regular file or a directory) with `flags`; null when memory ran
// out.
File* open_node(ramfs::NodeRef node, std::uint32_t flags);

// ramfs errors as the negative errno a system call returns.
inline std::int64_t errno_result(ramfs::Errno e) { return -static_cast<std::int64_t>(e); }

// stat(2) of a node.
FileStat stat_of(ramfs::Node& node);

}  // namespace kfiles
