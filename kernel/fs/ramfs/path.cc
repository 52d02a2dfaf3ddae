#include "kernel/fs/ramfs/path.h"

#include <new>

namespace ramfs {
namespace {

// Two path buffers, allocated on the first symlink: an expansion is written into the one the
// rest of the path does not live in.
class ExpansionBuffers {
 public:
  ExpansionBuffers() = default;
  ~ExpansionBuffers() { delete[] memory_; }
  ExpansionBuffers(const ExpansionBuffers&) = delete;
  ExpansionBuffers& operator=(const ExpansionBuffers&) = delete;

  // A buffer of kMaxPath bytes that does not hold `in_use`; nullptr without memory.
  char* other_than(const char* in_use) {
    if (memory_ == nullptr) {
      memory_ = new (std::nothrow) char[2 * kMaxPath];
      if (memory_ == nullptr) return nullptr;
      return memory_;
    }
    const bool in_first = in_use >= memory_ && in_use < memory_ + kMaxPath;
    return in_first ? memory_ + kMaxPath : memory_;
  }

 private:
  char* memory_ = nullptr;
};

fmt::StringView skip_slashes(fmt::StringView s) {
  while (s.length != 0 && s.data[0] == '/') {
    ++s.data;
    --s.length;
  }
  return s;
}

// The walk shared by resolve and resolve_parent. In parent mode it stops before the last
// component and fills `parent`.
Result<NodeRef> walk(Node& start, fmt::StringView path, bool follow_last, ParentAndName* parent) {
  if (path.length == 0) return klib::make_error(Errno::kENOENT);
  if (path.length >= kMaxPath) return klib::make_error(Errno::kENAMETOOLONG);
  Filesystem& fs = start.fs();
  NodeRef cur = path.data[0] == '/' ? fs.root() : NodeRef::share(start);
  fmt::StringView rest = path;
  ExpansionBuffers buffers;
  std::uint32_t follows = 0;
  for (;;) {
    rest = skip_slashes(rest);
    if (rest.length == 0) {
      // Only slashes were left: the path named `cur` itself ("/", or a symlink to "/").
      if (parent != nullptr) {
        parent->dir = static_cast<NodeRef&&>(cur);
        parent->length = 0;
        return NodeRef{};
      }
      return cur;
    }
    std::size_t n = 0;
    while (n < rest.length && rest.data[n] != '/') ++n;
    const fmt::StringView component{rest.data, n};
    const fmt::StringView after{rest.data + n, rest.length - n};
    const bool last = skip_slashes(after).length == 0;
    const bool trailing_slash = last && after.length != 0;
    if (n > Filesystem::kMaxName) return klib::make_error(Errno::kENAMETOOLONG);
    if (!cur->is_directory()) return klib::make_error(Errno::kENOTDIR);
    if (last && parent != nullptr) {
      parent->dir = static_cast<NodeRef&&>(cur);
      __builtin_memcpy(parent->name, component.data, n);
      parent->length = n;
      parent->trailing_slash = trailing_slash;
      return NodeRef{};
    }
    NodeRef child = TRY(fs.lookup(*cur, component));
    if (child->type() == NodeType::kSymlink && (!last || follow_last || trailing_slash)) {
      if (++follows > kMaxSymlinkFollows) return klib::make_error(Errno::kELOOP);
      const fmt::StringView target = child->symlink_target();
      // The target replaces the component; the rest (with its slashes) follows it.
      if (target.length + after.length >= kMaxPath) {
        return klib::make_error(Errno::kENAMETOOLONG);
      }
      char* out = buffers.other_than(rest.data);
      if (out == nullptr) return klib::make_error(Errno::kENOMEM);
      __builtin_memcpy(out, target.data, target.length);
      __builtin_memmove(out + target.length, after.data, after.length);
      rest = fmt::StringView{out, target.length + after.length};
      if (target.data[0] == '/') cur = fs.root();
      continue;  // `cur` stays: a relative target starts in the symlink's directory
    }
    if (last) {
      if (trailing_slash && !child->is_directory()) return klib::make_error(Errno::kENOTDIR);
      return child;
    }
    cur = static_cast<NodeRef&&>(child);
    rest = after;
  }
}

}  // namespace

Result<NodeRef> resolve(Node& start, fmt::StringView path, bool follow_last_symlink) {
  return walk(start, path, follow_last_symlink, nullptr);
}

Result<ParentAndName> resolve_parent(Node& start, fmt::StringView path) {
  ParentAndName out;
  auto walked = walk(start, path, false, &out);
  if (!walked) return klib::make_error(walked.error());
  return static_cast<ParentAndName&&>(out);
}

}  // namespace ramfs
