// Path resolution in the in-memory file system, as Linux's path walk: components separated by
// one or more '/', an absolute path starting at the file system's root, symlinks followed
// (their targets relative to the directory holding them), "." and ".." by lookup (".." of the
// root is the root). Each step holds one reference and no lock between lookups.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/fs/ramfs/errno.h"
#include "kernel/fs/ramfs/filesystem.h"
#include "kernel/fs/ramfs/node.h"
#include "smp/klib/format.h"

namespace ramfs {

// PATH_MAX: a path of 4096 bytes or more (its NUL would not fit) is ENAMETOOLONG, also after
// a symlink's target replaced a component.
inline constexpr std::size_t kMaxPath = 4096;
// Symlinks followed in one resolution before ELOOP (Linux's MAXSYMLINKS).
inline constexpr std::uint32_t kMaxSymlinkFollows = 40;

// The node `path` names, starting at `start` (a directory) for a relative path. A symlink as
// the last component is followed when `follow_last_symlink` (stat) and returned itself
// otherwise (lstat, readlink); a trailing '/' requires a directory and follows it always.
// ENOENT (also for an empty path), ENOTDIR, ENAMETOOLONG, ELOOP, ENOMEM (a symlink's
// expansion needs an 8 KiB buffer). Takes each directory's lock in turn, one at a time.
Result<NodeRef> resolve(Node& start, fmt::StringView path, bool follow_last_symlink);

// Where a create, unlink, rmdir or rename of `path` acts: the directory that holds its last
// component, and that component (copied: it may come from a symlink's target). The last
// component is neither looked up nor followed. Its name is "." or ".." when the path ends so,
// and empty for "/" (the root: the operations refuse it). Errors as resolve for the
// directories on the way.
struct ParentAndName {
  NodeRef dir;
  char name[Filesystem::kMaxName];
  std::size_t length = 0;
  bool trailing_slash = false;  // "a/b/": the operation must act on a directory

  fmt::StringView last() const { return {name, length}; }
};
Result<ParentAndName> resolve_parent(Node& start, fmt::StringView path);

}  // namespace ramfs
