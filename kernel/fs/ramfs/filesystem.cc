#include "kernel/fs/ramfs/filesystem.h"

#include <new>

namespace ramfs {
namespace {

bool is_dot(fmt::StringView n) { return n.length == 1 && n.data[0] == '.'; }
bool is_dotdot(fmt::StringView n) { return n.length == 2 && n.data[0] == '.' && n.data[1] == '.'; }
// The names no entry has: "" (the root, as resolve_parent gives it for "/"), "." and "..".
bool is_special(fmt::StringView n) { return n.length == 0 || is_dot(n) || is_dotdot(n); }

constexpr std::uint32_t kMaxLinks = 0xFFFFFFFFu;

}  // namespace

Result<void> check_name(fmt::StringView name) {
  if (is_special(name)) return klib::make_error(Errno::kEINVAL);
  if (name.length > Filesystem::kMaxName) return klib::make_error(Errno::kENAMETOOLONG);
  for (std::size_t i = 0; i < name.length; ++i) {
    if (name.data[i] == '/' || name.data[i] == '\0') return klib::make_error(Errno::kEINVAL);
  }
  return klib::Ok{};
}

Filesystem* Filesystem::create(const NodeAttributes& root) {
  auto* fs = new (std::nothrow) Filesystem;
  if (fs == nullptr) return nullptr;
  Node* node = fs->new_node(NodeType::kDirectory, root);
  if (node == nullptr) {
    delete fs;
    return nullptr;
  }
  node->init_unpublished(2, nullptr);
  fs->root_ = node;  // its creation reference is the file system's
  return fs;
}

// No analysis: no NodeRef is left (the contract), so no other CPU can reach a node.
Filesystem::~Filesystem() TA_NO_ANALYSIS {
  if (root_ == nullptr) return;
  // No NodeRef is left, so every live node hangs in the tree under the root: free it walking
  // a list of directories still to empty (no recursion: the tree may be deep). A directory has
  // one entry naming it; a file one per link, counted down in its references.
  Node* dirs = root_;
  root_->free_next_ = nullptr;
  while (dirs != nullptr) {
    Node* dir = dirs;
    dirs = dir->free_next_;
    while (DirEntry* e = dir->entries_.any()) {
      Node* child = dir->entries_.remove(e);
      if (child->is_directory()) {
        child->free_next_ = dirs;
        dirs = child;
      } else if (child->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        delete child;
        live_.fetch_sub(1, std::memory_order_relaxed);
      }
    }
    delete dir;
    live_.fetch_sub(1, std::memory_order_relaxed);
  }
}

Node* Filesystem::new_node(NodeType type, const NodeAttributes& attrs) {
  auto* node = new (std::nothrow)
      Node(*this, type, next_ino_.fetch_add(1, std::memory_order_relaxed), attrs);
  if (node != nullptr) live_.fetch_add(1, std::memory_order_relaxed);
  return node;
}

void Filesystem::release(Node* node) {
  // acq_rel: the CPU that drops the last reference sees every write other CPUs made to the
  // node before dropping theirs.
  if (node->refs_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  node->free_next_ = nullptr;
  Node* pending = node;
  while (pending != nullptr) {
    Node* n = pending;
    pending = n->free_next_;
    free_node(n, pending);
  }
}

// No analysis: the node has no reference left, so no CPU can reach it or its lock.
void Filesystem::free_node(Node* node, Node*& pending) TA_NO_ANALYSIS {
  // No reference is left, so no CPU can reach the node: no lock. A directory without
  // references has no entries (each child's ".." would be one).
  Node* parent = node->parent_;
  if (parent != nullptr && parent->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    parent->free_next_ = pending;
    pending = parent;
  }
  delete node;
  live_.fetch_sub(1, std::memory_order_relaxed);
}

Result<NodeRef> Filesystem::lookup(Node& dir, fmt::StringView name) {
  if (!dir.is_directory()) return klib::make_error(Errno::kENOTDIR);
  if (is_dot(name)) return NodeRef::share(dir);
  if (name.length > kMaxName) return klib::make_error(Errno::kENAMETOOLONG);
  smp::Guard guard{dir.lock_};
  if (is_dotdot(name)) return NodeRef::share(dir.parent_ != nullptr ? *dir.parent_ : dir);
  DirEntry* e = dir.entries_.find(name);
  if (e == nullptr) return klib::make_error(Errno::kENOENT);
  return NodeRef::share(*e->node);
}

Result<NodeRef> Filesystem::create(Node& dir, fmt::StringView name, NodeType type,
                                   const NodeAttributes& attrs, fmt::StringView target) {
  if (!dir.is_directory()) return klib::make_error(Errno::kENOTDIR);
  if (&dir.fs_ != this) return klib::make_error(Errno::kEXDEV);
  if (is_special(name)) return klib::make_error(Errno::kEEXIST);
  TRY_OK(check_name(name));
  if (type == NodeType::kSymlink) {
    if (target.length == 0) return klib::make_error(Errno::kENOENT);
    if (target.length > kMaxSymlink) return klib::make_error(Errno::kENAMETOOLONG);
  }
  // Everything is allocated before the directory's lock, so the hold is a lookup and a link.
  NodeRef node = NodeRef::adopt(new_node(type, attrs));
  if (!node) return klib::make_error(Errno::kENOMEM);
  if (type == NodeType::kSymlink) {
    node->target_ = new (std::nothrow) char[target.length];
    if (node->target_ == nullptr) return klib::make_error(Errno::kENOMEM);
    __builtin_memcpy(node->target_, target.data, target.length);
    node->target_length_ = target.length;
  }
  const bool is_dir = type == NodeType::kDirectory;
  node->init_unpublished(is_dir ? 2 : 1, nullptr);
  smp::Guard guard{dir.lock_};
  if (dir.dead_) return klib::make_error(Errno::kENOENT);
  if (dir.entries_.find(name) != nullptr) return klib::make_error(Errno::kEEXIST);
  if (is_dir && dir.nlink_ == kMaxLinks) return klib::make_error(Errno::kEMLINK);
  // Not yet visible to another CPU: the parent is set before the entry publishes the node.
  if (is_dir) node->init_unpublished(2, &dir);
  node->ref();  // the entry's
  auto inserted = dir.entries_.insert(name, node.get());
  if (!inserted) {
    node->refs_.fetch_sub(1, std::memory_order_relaxed);  // ours is still held: never the last
    node->init_unpublished(2, nullptr);
    return klib::make_error(inserted.error());
  }
  if (is_dir) {
    dir.ref();  // the child's ".."
    ++dir.nlink_;
  }
  dir.mtime_ns_ = attrs.time_ns;
  dir.ctime_ns_ = attrs.time_ns;
  return node;
}

Result<void> Filesystem::link(Node& dir, fmt::StringView name, Node& target,
                              std::int64_t now_ns) {
  if (!dir.is_directory()) return klib::make_error(Errno::kENOTDIR);
  if (target.is_directory()) return klib::make_error(Errno::kEPERM);
  if (&dir.fs_ != this || &target.fs_ != this) return klib::make_error(Errno::kEXDEV);
  if (is_special(name)) return klib::make_error(Errno::kEEXIST);
  TRY_OK(check_name(name));
  smp::Guard guard{dir.lock_};
  if (dir.dead_) return klib::make_error(Errno::kENOENT);
  if (dir.entries_.find(name) != nullptr) return klib::make_error(Errno::kEEXIST);
  smp::Guard target_guard{target.lock_, smp::NestKey{1}};
  if (target.nlink_ == 0) return klib::make_error(Errno::kENOENT);  // as Linux: unlinked
  if (target.nlink_ == kMaxLinks) return klib::make_error(Errno::kEMLINK);
  target.ref();  // the new entry's; the caller holds one, so the undo is never the last
  auto inserted = dir.entries_.insert(name, &target);
  if (!inserted) {
    target.refs_.fetch_sub(1, std::memory_order_relaxed);
    return klib::make_error(inserted.error());
  }
  ++target.nlink_;
  target.ctime_ns_ = now_ns;
  dir.mtime_ns_ = now_ns;
  dir.ctime_ns_ = now_ns;
  return klib::Ok{};
}

Result<void> Filesystem::unlink(Node& dir, fmt::StringView name, std::int64_t now_ns) {
  if (!dir.is_directory()) return klib::make_error(Errno::kENOTDIR);
  if (is_special(name)) return klib::make_error(Errno::kEISDIR);
  if (name.length > kMaxName) return klib::make_error(Errno::kENAMETOOLONG);
  Node* child;
  {
    smp::Guard guard{dir.lock_};
    DirEntry* e = dir.entries_.find(name);
    if (e == nullptr) return klib::make_error(Errno::kENOENT);
    child = e->node;
    if (child->is_directory()) return klib::make_error(Errno::kEISDIR);
    {
      smp::Guard child_guard{child->lock_, smp::NestKey{1}};
      --child->nlink_;
      child->ctime_ns_ = now_ns;
    }
    dir.entries_.remove(e);
    dir.mtime_ns_ = now_ns;
    dir.ctime_ns_ = now_ns;
  }
  release(child);  // the entry's reference, freed (if last) with no lock held
  return klib::Ok{};
}

Result<void> Filesystem::rmdir(Node& dir, fmt::StringView name, std::int64_t now_ns) {
  if (!dir.is_directory()) return klib::make_error(Errno::kENOTDIR);
  if (name.length == 0) return klib::make_error(Errno::kEBUSY);
  if (is_dot(name)) return klib::make_error(Errno::kEINVAL);
  if (is_dotdot(name)) return klib::make_error(Errno::kENOTEMPTY);
  if (name.length > kMaxName) return klib::make_error(Errno::kENAMETOOLONG);
  Node* child;
  {
    smp::Guard guard{dir.lock_};
    DirEntry* e = dir.entries_.find(name);
    if (e == nullptr) return klib::make_error(Errno::kENOENT);
    child = e->node;
    if (!child->is_directory()) return klib::make_error(Errno::kENOTDIR);
    {
      smp::Guard child_guard{child->lock_, smp::NestKey{1}};
      if (child->entries_.count() != 0) return klib::make_error(Errno::kENOTEMPTY);
      child->dead_ = true;
      child->nlink_ = 0;
      child->ctime_ns_ = now_ns;
    }
    dir.entries_.remove(e);
    --dir.nlink_;
    dir.mtime_ns_ = now_ns;
    dir.ctime_ns_ = now_ns;
  }
  release(child);
  return klib::Ok{};
}

// No analysis: parent_ is read under the rename lock, which freezes it (see the header).
bool Filesystem::is_ancestor(Node* ancestor, Node* node, Node** below) TA_NO_ANALYSIS {
  Node* prev = nullptr;
  for (Node* n = node; n != nullptr; prev = n, n = n->parent_) {
    if (n == ancestor) {
      *below = prev;
      return true;
    }
  }
  return false;
}

Result<void> Filesystem::rename(Node& old_dir, fmt::StringView old_name, Node& new_dir,
                                fmt::StringView new_name, std::int64_t now_ns) {
  if (!old_dir.is_directory() || !new_dir.is_directory()) {
    return klib::make_error(Errno::kENOTDIR);
  }
  if (&old_dir.fs_ != this || &new_dir.fs_ != this) return klib::make_error(Errno::kEXDEV);
  if (is_special(old_name) || is_special(new_name)) return klib::make_error(Errno::kEBUSY);
  TRY_OK(check_name(old_name));
  TRY_OK(check_name(new_name));
  Node* dropped = nullptr;  // the replaced node's entry reference, given back unlocked
  Result<void> result = rename_locked(old_dir, old_name, new_dir, new_name, now_ns, dropped);
  if (dropped != nullptr) release(dropped);
  return result;
}

// No analysis: in one directory old_dir and new_dir are one node, held once; the analysis
// cannot see that the single guard covers move_locked's requirement on both.
Result<void> Filesystem::rename_locked(Node& old_dir, fmt::StringView old_name, Node& new_dir,
                                       fmt::StringView new_name, std::int64_t now_ns,
                                       Node*& dropped) TA_NO_ANALYSIS {
  if (&old_dir == &new_dir) {
    smp::Guard guard{old_dir.lock_};
    return move_locked(old_dir, old_name, new_dir, new_name, nullptr, nullptr, 1, now_ns,
                       dropped);
  }
  // The rename lock freezes which directory is inside which: only renames between two
  // directories change a parent. Then the ancestor is locked first (as rmdir does); two
  // unrelated directories in either order, since no other CPU can hold both.
  smp::Guard rename_guard{rename_lock_};
  Node* trap_source = nullptr;  // old_dir's child above new_dir: moving it is EINVAL
  Node* trap_target = nullptr;  // new_dir's child above old_dir: replacing it is ENOTEMPTY
  const bool old_above = is_ancestor(&old_dir, &new_dir, &trap_source);
  const bool new_above = !old_above && is_ancestor(&new_dir, &old_dir, &trap_target);
  Node& first = new_above ? new_dir : old_dir;
  Node& second = new_above ? old_dir : new_dir;
  smp::Guard first_guard{first.lock_, smp::NestKey{0}};
  smp::Guard second_guard{second.lock_, smp::NestKey{1}};
  return move_locked(old_dir, old_name, new_dir, new_name, trap_source, trap_target, 2, now_ns,
                     dropped);
}

Result<void> Filesystem::move_locked(Node& old_dir, fmt::StringView old_name, Node& new_dir,
                                     fmt::StringView new_name, Node* trap_source,
                                     Node* trap_target, std::uint32_t key, std::int64_t now_ns,
                                     Node*& dropped) {
  DirEntry* source_entry = old_dir.entries_.find(old_name);
  if (source_entry == nullptr) return klib::make_error(Errno::kENOENT);
  Node* source = source_entry->node;
  if (source == trap_source) return klib::make_error(Errno::kEINVAL);
  if (new_dir.dead_) return klib::make_error(Errno::kENOENT);
  DirEntry* target_entry = new_dir.entries_.find(new_name);
  Node* victim = target_entry != nullptr ? target_entry->node : nullptr;
  if (victim == source) return klib::Ok{};  // two links of one file: nothing happens (POSIX)
  if (victim != nullptr) {
    if (source->is_directory() && !victim->is_directory()) {
      return klib::make_error(Errno::kENOTDIR);
    }
    if (!source->is_directory() && victim->is_directory()) {
      return klib::make_error(Errno::kEISDIR);
    }
    if (victim == trap_target) return klib::make_error(Errno::kENOTEMPTY);
  }
  // The two nodes by ascending inode number: with hard links two renames may meet the same
  // pair of files from different directories.
  Node* first = source;
  Node* second = victim;
  if (victim != nullptr && victim->ino_ < source->ino_) {
    first = victim;
    second = source;
  }
  smp::Guard first_guard{first->lock_, smp::NestKey{key}};
  // Both directories are held (the caller's), and the source and the victim through `first`
  // and `second`: aliases the analysis cannot follow.
  auto commit = [&]() TA_NO_ANALYSIS -> Result<void> {
    const bool moves_dir = source->is_directory() && &old_dir != &new_dir;
    if (victim != nullptr && victim->is_directory() && victim->entries_.count() != 0) {
      return klib::make_error(Errno::kENOTEMPTY);
    }
    if (victim == nullptr) {
      if (moves_dir && new_dir.nlink_ == kMaxLinks) return klib::make_error(Errno::kEMLINK);
      // The one step that can fail (ENOMEM) comes first: the new entry takes over the old
      // entry's reference.
      TRY_OK(new_dir.entries_.insert(new_name, source));
    } else {
      target_entry->node = source;  // takes over the old entry's reference; keeps its cookie
      dropped = victim;
      if (victim->is_directory()) {
        victim->dead_ = true;
        victim->nlink_ = 0;
        --new_dir.nlink_;  // the victim's ".."
      } else {
        --victim->nlink_;
      }
      victim->ctime_ns_ = now_ns;
    }
    old_dir.entries_.remove(source_entry);
    if (moves_dir) {
      // The parent reference moves with the directory; the caller holds old_dir, so this is
      // never its last reference.
      new_dir.ref();
      source->parent_ = &new_dir;
      old_dir.refs_.fetch_sub(1, std::memory_order_acq_rel);
      --old_dir.nlink_;
      ++new_dir.nlink_;
    }
    source->ctime_ns_ = now_ns;
    old_dir.mtime_ns_ = old_dir.ctime_ns_ = now_ns;
    new_dir.mtime_ns_ = new_dir.ctime_ns_ = now_ns;
    return klib::Ok{};
  };
  if (second == nullptr) return commit();
  smp::Guard second_guard{second->lock_, smp::NestKey{key + 1}};
  return commit();
}

Result<std::uint64_t> Filesystem::readdir(Node& dir, std::uint64_t cookie, DirSink& sink) {
  if (!dir.is_directory()) return klib::make_error(Errno::kENOTDIR);
  smp::Guard guard{dir.lock_};
  if (dir.dead_) return cookie;
  if (cookie == 0) {
    if (!sink.emit(".", dir.ino_, NodeType::kDirectory, 1)) return cookie;
    cookie = 1;
  }
  if (cookie == 1) {
    const Node& parent = dir.parent_ != nullptr ? *dir.parent_ : dir;
    if (!sink.emit("..", parent.ino_, NodeType::kDirectory, Directory::kFirstCookie)) {
      return cookie;
    }
    cookie = Directory::kFirstCookie;
  }
  for (DirEntry* e = dir.entries_.at_or_after(cookie); e != nullptr;
       e = dir.entries_.at_or_after(cookie)) {
    if (!sink.emit({e->name, e->length}, e->node->ino_, e->node->type_, e->cookie + 1)) {
      return cookie;
    }
    cookie = e->cookie + 1;
  }
  return cookie;
}

}  // namespace ramfs
