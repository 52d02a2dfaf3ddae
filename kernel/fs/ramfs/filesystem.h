// The writable in-memory file system the kernel's root lives in (issue 13 part 3): nodes
// (node.h) linked into directories, every operation safe on many CPUs at once. Pure: it
// allocates with operator new (std::nothrow; exhaustion is ENOMEM) and takes smp/ locks, and is
// host-tested. Times are given by the caller in nanoseconds; permissions are recorded, not
// checked (that is the system call layer's job).
//
// Names: 1..255 bytes, no '/' and no NUL (EINVAL, ENAMETOOLONG). "." and ".." are not stored:
// lookup answers them, and operations that would create or remove them fail as on Linux.
// Locks, per call, in the orders of docs/locking.md ("ramfs"); a rename between two
// directories also takes the rename lock. No call sleeps.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/fs/ramfs/errno.h"
#include "kernel/fs/ramfs/node.h"
#include "kernel/fs/ramfs/ramfs_locks.h"
#include "smp/atomic.h"
#include "smp/klib/format.h"

namespace ramfs {

// Receives readdir's entries. Called with the directory's lock held: copy and return, never
// block or call back into the file system.
class DirSink {
 public:
  // One entry; `next_cookie` resumes after it. False stops the listing before this entry (a
  // full buffer); it is then returned again by a readdir at the same cookie.
  virtual bool emit(fmt::StringView name, std::uint64_t ino, NodeType type,
                    std::uint64_t next_cookie) = 0;

 protected:
  ~DirSink() = default;
};

class Filesystem {
 public:
  static constexpr std::size_t kMaxName = 255;
  // Longest symlink target (PATH_MAX less the NUL).
  static constexpr std::size_t kMaxSymlink = 4095;

  // A file system holding an empty root directory with `root`'s attributes; nullptr when
  // memory is exhausted. Destroy with delete.
  static Filesystem* create(const NodeAttributes& root);
  // Frees every node. Needs: no NodeRef of this file system left.
  ~Filesystem();
  Filesystem(const Filesystem&) = delete;
  Filesystem& operator=(const Filesystem&) = delete;

  NodeRef root() { return NodeRef::share(*root_); }
  bool is_root(const Node& node) const { return &node == root_; }
  // Nodes allocated and not yet freed, the root included (tests, accounting).
  std::uint64_t live_nodes() const { return live_.load(std::memory_order_relaxed); }

  // The node `name` names in `dir`: "." is `dir`, ".." its parent (the root's is the root).
  // ENOTDIR when `dir` is not a directory, ENOENT when there is no such entry. Dir's lock.
  Result<NodeRef> lookup(Node& dir, fmt::StringView name);

  // A new node of `type` named `name` in `dir` (nlink 1, or 2 for a directory whose parent
  // gains one); `target` is a symlink's (1..kMaxSymlink bytes: ENOENT when empty,
  // ENAMETOOLONG when longer), ignored for other types. EEXIST when the name exists (also
  // "." and ".."), ENOENT when `dir` was removed, ENOTDIR when it is no directory, ENOMEM.
  // Sets dir's mtime and ctime to attrs.time_ns. Dir's lock.
  Result<NodeRef> create(Node& dir, fmt::StringView name, NodeType type,
                         const NodeAttributes& attrs, fmt::StringView target = {});

  // A new name for `target` (link(2)): EPERM for a directory, EXDEV for another file system's
  // node, EEXIST, ENOENT (dir removed), EMLINK. Dir's lock, then target's.
  Result<void> link(Node& dir, fmt::StringView name, Node& target, std::int64_t now_ns);

  // Removes a non-directory's name (unlink(2)): EISDIR for a directory (and ".", ".." or the
  // root's empty name), ENOENT. The node lives on while references remain. Dir's lock, then
  // the node's.
  Result<void> unlink(Node& dir, fmt::StringView name, std::int64_t now_ns);

  // Removes an empty directory (rmdir(2)): ENOTDIR, ENOTEMPTY (also ".."), EINVAL for ".",
  // EBUSY for the root (the empty name resolve_parent gives for "/"). Dir's lock, then the
  // child's.
  Result<void> rmdir(Node& dir, fmt::StringView name, std::int64_t now_ns);

  // rename(2) within this file system: replaces an existing `new_name` (a non-directory by a
  // non-directory, an empty directory by a directory); same node under both names: nothing
  // happens. EINVAL moving a directory into itself or its own subtree; ENOTDIR / EISDIR for a
  // directory onto a non-directory and the reverse; ENOTEMPTY; EBUSY for ".", ".." or the
  // root; ENOENT; EXDEV for another file system's directory. Between two directories: the
  // rename lock, both directories (ancestor first), then the two nodes by inode number.
  Result<void> rename(Node& old_dir, fmt::StringView old_name, Node& new_dir,
                      fmt::StringView new_name, std::int64_t now_ns);

  // Lists `dir` from `cookie` (0 at the start: ".", "..", then the entries in creation order)
  // into `sink` until it refuses one or the directory ends; returns the cookie to continue
  // at. A listing resumed at a cookie sees every entry that existed during the whole listing
  // exactly once; entries created or removed meanwhile may or may not appear; a renamed entry
  // may appear under both names. A removed directory lists nothing. ENOTDIR. Dir's lock.
  Result<std::uint64_t> readdir(Node& dir, std::uint64_t cookie, DirSink& sink);

 private:
  friend class NodeRef;

  Filesystem() = default;

  Node* new_node(NodeType type, const NodeAttributes& attrs);
  // Drops one reference; the last frees the node and what it referenced (no recursion).
  void release(Node* node);
  void free_node(Node* node, Node*& pending);
  // Whether `ancestor` is `node` or above it; `below` gets the child of `ancestor` on the way.
  // Needs the rename lock (the tree's shape is then frozen).
  bool is_ancestor(Node* ancestor, Node* node, Node** below);
  // rename after its checks: takes the directories' locks (and the rename lock between two).
  Result<void> rename_locked(Node& old_dir, fmt::StringView old_name, Node& new_dir,
                             fmt::StringView new_name, std::int64_t now_ns, Node*& dropped);
  // rename with both directories locked: finds, checks and moves; locks the moved and the
  // replaced node with NestKeys `key` and `key + 1`. `dropped` gets the replaced node.
  Result<void> move_locked(Node& old_dir, fmt::StringView old_name, Node& new_dir,
                           fmt::StringView new_name, Node* trap_source, Node* trap_target,
                           std::uint32_t key, std::int64_t now_ns, Node*& dropped)
      TA_REQ(old_dir.lock_, new_dir.lock_);

  Node* root_ = nullptr;
  RenameLock rename_lock_;
  smp::Atomic<std::uint64_t> next_ino_{1};
  smp::Atomic<std::uint64_t> live_{0};
};

// Whether `name` may be stored in a directory: EINVAL for empty, ".", "..", '/' or NUL
// inside; ENAMETOOLONG above kMaxName.
Result<void> check_name(fmt::StringView name);

}  // namespace ramfs
