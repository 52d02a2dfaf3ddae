// A node (inode) of the in-memory file system: a directory, a regular file, a symlink or a
// special file (device, FIFO, socket: type and device number recorded for /dev to bind later).
//
// Lifetime: a node counts references: one per directory entry naming it (a link), one per
// NodeRef (an open file, a working directory, a path walk in progress), one per child
// directory (its ".."), and the file system's own on the root. The last reference frees it,
// so a file unlinked while open stays readable and writable until the last NodeRef goes.
//
// Locking: each node has one lock (ramfs_locks.h) guarding its attributes, a directory's
// entries and a file's data. Type, inode number and a symlink's target never change and are
// read without it. The order between node locks is in docs/locking.md ("ramfs").
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/fs/ramfs/directory.h"
#include "kernel/fs/ramfs/errno.h"
#include "kernel/fs/ramfs/file_data.h"
#include "kernel/fs/ramfs/ramfs_locks.h"
#include "smp/atomic.h"
#include "smp/klib/format.h"
#include "smp/locks/thread_annotations.h"

namespace ramfs {

class Filesystem;

enum class NodeType : std::uint8_t {
  kDirectory,
  kRegular,
  kSymlink,
  kCharDevice,
  kBlockDevice,
  kFifo,
  kSocket,
};

// The S_IFMT bits of a type (0040000 for a directory, ...), and the type of such bits (false
// for bits that name no type).
std::uint32_t type_mode_bits(NodeType type);
bool type_from_mode(std::uint32_t mode, NodeType& out);

// What a new node starts with. `mode` holds permission bits only (07777; others ignored).
struct NodeAttributes {
  std::uint32_t mode = 0644;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::int64_t time_ns = 0;  // mtime and ctime, nanoseconds since the epoch
  std::uint32_t rdev_major = 0, rdev_minor = 0;  // device nodes only
};

// What stat(2) reports, in the file system's own types; the system call layer lays it out.
struct Stat {
  std::uint64_t ino;
  std::uint32_t mode;  // type bits | permission bits
  std::uint32_t nlink;
  std::uint32_t uid, gid;
  std::uint32_t rdev_major, rdev_minor;
  std::uint64_t size;     // bytes; a symlink's target length; 0 for special files
  std::uint64_t blocks;   // 512-byte units really allocated
  std::uint32_t blksize;  // the preferred I/O size: one page
  std::int64_t mtime_ns, ctime_ns;
};

class Node {
 public:
  static constexpr std::uint32_t kPermissionBits = 07777;

  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  NodeType type() const { return type_; }
  bool is_directory() const { return type_ == NodeType::kDirectory; }
  std::uint64_t ino() const { return ino_; }
  Filesystem& fs() const { return fs_; }

  // A snapshot of the attributes. Takes the node's lock.
  Stat stat();

  // Regular files only (EISDIR for a directory, EINVAL for anything else); node lock.
  // read_at: bytes read (0 at or past the end; holes read as zeros).
  Result<std::size_t> read_at(std::uint64_t offset, void* buf, std::size_t len);
  // write_at: bytes written (see FileData::write_at: EFBIG, ENOMEM, short at the limit);
  // sets mtime and ctime to `now_ns` when something was written.
  Result<std::size_t> write_at(std::uint64_t offset, const void* buf, std::size_t len,
                               std::int64_t now_ns);
  // share_page: page `index` of the file for a MAP_SHARED mapping, with a reference for the
  // mapper; its physical address (FileData::share_page: ENXIO past the end, ENOMEM, ENODEV).
  // ENXIO too while a shrink that cuts the page is unmapping it (truncate).
  Result<std::uint64_t> share_page(std::uint64_t index);
  // copy_page: page `index` of the file into `out` (kPageSize bytes, zeros past the end) for a
  // private mapping. ENXIO when the page lies wholly at or past the end, or while a shrink
  // that cuts it is unmapping it.
  Result<void> copy_page(std::uint64_t index, std::uint8_t* out);
  // truncate: the new size (EFBIG above FileData::kMaxSize); mtime and ctime to `now_ns`.
  // A shrink withholds the pages wholly past the new end from mappings (share_page and
  // copy_page), has the page store take them out of every mapping (PageStore::shrinking,
  // called without the node lock), and only then cuts the file. Takes the node lock twice.
  Result<void> truncate(std::uint64_t size, std::int64_t now_ns);

  // A symlink's target (EINVAL for other types): up to `len` bytes copied into `buf`, no NUL
  // added, as readlink(2). The length copied.
  Result<std::size_t> readlink(char* buf, std::size_t len) const;
  // The target itself: valid while a reference is held (it never changes). Empty for others.
  fmt::StringView symlink_target() const { return {target_, target_length_}; }

  // Attribute changes (chmod, chown, utimes); node lock; ctime to `now_ns`.
  void set_mode(std::uint32_t permissions, std::int64_t now_ns);
  void set_owner(std::uint32_t uid, std::uint32_t gid, std::int64_t now_ns);
  void set_mtime(std::int64_t mtime_ns, std::int64_t now_ns);

 private:
  friend class Filesystem;
  friend class NodeRef;

  Node(Filesystem& fs, NodeType type, std::uint64_t ino, const NodeAttributes& attrs);
  ~Node();

  void ref() { refs_.fetch_add(1, std::memory_order_relaxed); }  // needs a reference held
  // Page `index` is held back from mappings by a shrink in progress (truncate). Node lock.
  bool withheld(std::uint64_t index) const TA_REQ(lock_);
  // The link count and parent of a node no other CPU can reach yet (being created): no lock.
  void init_unpublished(std::uint32_t nlink, Node* parent) TA_NO_ANALYSIS {
    nlink_ = nlink;
    parent_ = parent;
  }

  Filesystem& fs_;
  const NodeType type_;
  const std::uint64_t ino_;
  // References (see the top). Increments need a reference already held (relaxed suffices, as
  // for any shared count); the decrement that reaches 0 is acq_rel so the freeing CPU sees
  // every earlier CPU's writes to the node.
  smp::Atomic<std::uint32_t> refs_{1};
  NodeLock lock_;

  // Guarded by lock_ (checked by clang's -Wthread-safety where the lock is named directly).
  std::uint32_t mode_ TA_GUARDED(lock_);  // permission bits
  std::uint32_t uid_ TA_GUARDED(lock_), gid_ TA_GUARDED(lock_);
  std::uint32_t nlink_ TA_GUARDED(lock_) = 0;
  std::int64_t mtime_ns_ TA_GUARDED(lock_), ctime_ns_ TA_GUARDED(lock_);
  std::uint32_t rdev_major_ TA_GUARDED(lock_), rdev_minor_ TA_GUARDED(lock_);
  FileData data_ TA_GUARDED(lock_);      // kRegular
  Directory entries_ TA_GUARDED(lock_);  // kDirectory
  bool dead_ TA_GUARDED(lock_) = false;  // kDirectory: removed; nothing can be created in it
  // kDirectory: the directory whose entry names this one (a reference), nullptr for the root.
  // Written under both this lock and the file system's rename lock; read under either (the
  // readers under the rename lock alone are exempt from the analysis).
  Node* parent_ TA_GUARDED(lock_) = nullptr;
  // kRegular: shrinks whose mappings are being unmapped (truncate), and the lowest page index
  // they cut from; pages at or past it are withheld from mappings until the count is 0.
  std::uint32_t unmapping_ TA_GUARDED(lock_) = 0;
  std::uint64_t unmap_from_ TA_GUARDED(lock_) = 0;

  // kSymlink: set at creation, never changed.
  char* target_ = nullptr;
  std::size_t target_length_ = 0;

  Node* free_next_ = nullptr;  // the file system's list of nodes to free (release)
};

// One reference to a node, given back when the NodeRef goes. Move-only.
class NodeRef {
 public:
  NodeRef() = default;
  // Takes over a reference the caller owns.
  static NodeRef adopt(Node* node) { return NodeRef(node); }
  // A new reference to `node`, which the caller keeps alive by a reference of its own.
  static NodeRef share(Node& node) {
    node.ref();
    return NodeRef(&node);
  }
  NodeRef(NodeRef&& other) : node_(other.node_) { other.node_ = nullptr; }
  NodeRef& operator=(NodeRef&& other);
  ~NodeRef() { reset(); }

  Node* get() const { return node_; }
  Node* operator->() const { return node_; }
  Node& operator*() const { return *node_; }
  explicit operator bool() const { return node_ != nullptr; }
  // Gives the reference back now (may free the node).
  void reset();

 private:
  explicit NodeRef(Node* node) : node_(node) {}
  Node* node_ = nullptr;
};

}  // namespace ramfs
