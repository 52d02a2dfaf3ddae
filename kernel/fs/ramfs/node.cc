#include "kernel/fs/ramfs/node.h"

#include "kernel/fs/ramfs/filesystem.h"

namespace ramfs {

std::uint32_t type_mode_bits(NodeType type) {
  switch (type) {
    case NodeType::kDirectory: return 0040000;
    case NodeType::kRegular: return 0100000;
    case NodeType::kSymlink: return 0120000;
    case NodeType::kCharDevice: return 0020000;
    case NodeType::kBlockDevice: return 0060000;
    case NodeType::kFifo: return 0010000;
    case NodeType::kSocket: return 0140000;
  }
  return 0;
}

bool type_from_mode(std::uint32_t mode, NodeType& out) {
  constexpr NodeType kAll[] = {NodeType::kDirectory,   NodeType::kRegular, NodeType::kSymlink,
                               NodeType::kCharDevice,  NodeType::kBlockDevice,
                               NodeType::kFifo,        NodeType::kSocket};
  for (NodeType t : kAll) {
    if ((mode & 0170000) == type_mode_bits(t)) {
      out = t;
      return true;
    }
  }
  return false;
}

Node::Node(Filesystem& fs, NodeType type, std::uint64_t ino, const NodeAttributes& attrs)
    : fs_(fs),
      type_(type),
      ino_(ino),
      mode_(attrs.mode & kPermissionBits),
      uid_(attrs.uid),
      gid_(attrs.gid),
      mtime_ns_(attrs.time_ns),
      ctime_ns_(attrs.time_ns),
      rdev_major_(attrs.rdev_major),
      rdev_minor_(attrs.rdev_minor) {}

Node::~Node() { delete[] target_; }

Stat Node::stat() {
  smp::Guard guard{lock_};
  Stat s{};
  s.ino = ino_;
  s.mode = type_mode_bits(type_) | mode_;
  s.nlink = nlink_;
  s.uid = uid_;
  s.gid = gid_;
  s.rdev_major = rdev_major_;
  s.rdev_minor = rdev_minor_;
  s.blksize = FileData::kPageSize;
  switch (type_) {
    case NodeType::kRegular:
      s.size = data_.size();
      s.blocks = data_.pages() * (FileData::kPageSize / 512);
      break;
    case NodeType::kSymlink: s.size = target_length_; break;
    case NodeType::kDirectory:
      // As tmpfs: a size that grows with the entries (a fixed 20 per entry plus two for "."
      // and ".."); nothing reads it but `ls -l`.
      s.size = (entries_.count() + 2) * 20;
      break;
    default: break;
  }
  s.mtime_ns = mtime_ns_;
  s.ctime_ns = ctime_ns_;
  return s;
}

Result<std::size_t> Node::read_at(std::uint64_t offset, void* buf, std::size_t len) {
  if (type_ == NodeType::kDirectory) return klib::make_error(Errno::kEISDIR);
  if (type_ != NodeType::kRegular) return klib::make_error(Errno::kEINVAL);
  smp::Guard guard{lock_};
  return data_.read_at(offset, buf, len);
}

Result<std::size_t> Node::write_at(std::uint64_t offset, const void* buf, std::size_t len,
                                   std::int64_t now_ns) {
  if (type_ == NodeType::kDirectory) return klib::make_error(Errno::kEISDIR);
  if (type_ != NodeType::kRegular) return klib::make_error(Errno::kEINVAL);
  smp::Guard guard{lock_};
  const std::size_t written = TRY(data_.write_at(offset, buf, len));
  if (written != 0) {
    mtime_ns_ = now_ns;
    ctime_ns_ = now_ns;
  }
  return written;
}

bool Node::withheld(std::uint64_t index) const {
  return unmapping_ != 0 && index >= unmap_from_;
}

Result<std::uint64_t> Node::share_page(std::uint64_t index) {
  if (type_ != NodeType::kRegular) return klib::make_error(Errno::kENODEV);
  smp::Guard guard{lock_};
  if (withheld(index)) return klib::make_error(Errno::kENXIO);
  return data_.share_page(index);
}

Result<void> Node::copy_page(std::uint64_t index, std::uint8_t* out) {
  if (type_ != NodeType::kRegular) return klib::make_error(Errno::kENODEV);
  constexpr std::uint64_t kPage = FileData::kPageSize;
  if (index >= FileData::kMaxSize / kPage) return klib::make_error(Errno::kENXIO);
  smp::Guard guard{lock_};
  if (withheld(index)) return klib::make_error(Errno::kENXIO);
  const std::size_t n = data_.read_at(index * kPage, out, kPage);
  if (n == 0) return klib::make_error(Errno::kENXIO);
  __builtin_memset(out + n, 0, kPage - n);
  return klib::Ok{};
}

Result<void> Node::truncate(std::uint64_t size, std::int64_t now_ns) {
  if (type_ == NodeType::kDirectory) return klib::make_error(Errno::kEISDIR);
  if (type_ != NodeType::kRegular) return klib::make_error(Errno::kEINVAL);
  constexpr std::uint64_t kPage = FileData::kPageSize;
  {
    smp::Guard guard{lock_};
    if (size >= data_.size()) {  // growing (or the same): nothing mapped has to go
      TRY_OK(data_.truncate(size));
      mtime_ns_ = now_ns;
      ctime_ns_ = now_ns;
      return klib::Ok{};
    }
    // A shrink, in three steps. First, mappings get no page wholly past the new end any more.
    const std::uint64_t from = (size + kPage - 1) / kPage;
    if (unmapping_ == 0 || from < unmap_from_) unmap_from_ = from;
    ++unmapping_;
  }
  // Then the mappings that have such pages let them go (Linux's unmap_mapping_range). Outside
  // the lock: they take their own locks (an address space's mutex, which is taken before a node
  // lock, never inside one).
  page_store().shrinking(*this, size);
  // Last, the cut: a write or truncate that grew the file meanwhile comes before it, and no
  // mapping got one of its pages meanwhile, so none holds a page the cut leaves stale.
  smp::Guard guard{lock_};
  auto cut = data_.truncate(size);  // a shrink is within kMaxSize: cannot fail
  if (--unmapping_ == 0) unmap_from_ = 0;
  mtime_ns_ = now_ns;
  ctime_ns_ = now_ns;
  return cut;
}

Result<std::size_t> Node::readlink(char* buf, std::size_t len) const {
  if (type_ != NodeType::kSymlink) return klib::make_error(Errno::kEINVAL);
  const std::size_t n = len < target_length_ ? len : target_length_;
  __builtin_memcpy(buf, target_, n);
  return n;
}

void Node::set_mode(std::uint32_t permissions, std::int64_t now_ns) {
  smp::Guard guard{lock_};
  mode_ = permissions & kPermissionBits;
  ctime_ns_ = now_ns;
}

void Node::set_owner(std::uint32_t uid, std::uint32_t gid, std::int64_t now_ns) {
  smp::Guard guard{lock_};
  uid_ = uid;
  gid_ = gid;
  ctime_ns_ = now_ns;
}

void Node::set_mtime(std::int64_t mtime_ns, std::int64_t now_ns) {
  smp::Guard guard{lock_};
  mtime_ns_ = mtime_ns;
  ctime_ns_ = now_ns;
}

NodeRef& NodeRef::operator=(NodeRef&& other) {
  if (this != &other) {
    reset();
    node_ = other.node_;
    other.node_ = nullptr;
  }
  return *this;
}

void NodeRef::reset() {
  if (node_ == nullptr) return;
  Node* node = node_;
  node_ = nullptr;
  node->fs().release(node);
}

}  // namespace ramfs
