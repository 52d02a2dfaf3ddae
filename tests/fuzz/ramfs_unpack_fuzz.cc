// libFuzzer target over unpacking an archive into the in-memory file system
// (kernel/fs/ramfs/unpack.h): each input is an archive unpacked into a fresh file system, whole
// or up to its first problem. Then the tree is walked: every live node must be reachable from
// the root (no node lost or leaked by replaced entries, hard links or implied directories),
// every directory's link count must match its subdirectories, and destroying the file system
// must free everything (LeakSanitizer). AddressSanitizer catches a use after free of a node.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kernel/fs/ramfs/unpack.h"

namespace {

struct Names : ramfs::DirSink {
  std::vector<std::string> names;
  bool emit(fmt::StringView name, std::uint64_t, ramfs::NodeType, std::uint64_t) override {
    names.emplace_back(name.data, name.length);
    return true;
  }
};

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ramfs::NodeAttributes root_attrs;
  root_attrs.mode = 0755;
  std::unique_ptr<ramfs::Filesystem> fs(ramfs::Filesystem::create(root_attrs));
  check(fs != nullptr);
  auto unpacked = ramfs::unpack(*fs, data, size);
  if (!unpacked.ok()) check(unpacked.error().offset <= size);

  std::map<std::uint64_t, std::uint32_t> names_of;  // ino -> names seen
  std::map<std::uint64_t, ramfs::Node*> nodes;
  std::vector<ramfs::NodeRef> dirs;
  dirs.push_back(fs->root());
  while (!dirs.empty()) {
    ramfs::NodeRef dir = std::move(dirs.back());
    dirs.pop_back();
    Names sink;
    check(fs->readdir(*dir, 0, sink).ok());
    std::uint32_t subdirs = 0;
    for (const std::string& n : sink.names) {
      if (n == "." || n == "..") continue;
      auto child = fs->lookup(*dir, {n.data(), n.size()});
      check(child.ok());
      ++names_of[child.value()->ino()];
      nodes[child.value()->ino()] = child.value().get();
      if (child.value()->is_directory()) {
        ++subdirs;
        dirs.push_back(std::move(child.value()));
      }
    }
    check(dir->stat().nlink == 2 + subdirs);
  }
  for (const auto& [ino, node] : nodes) {
    check(node->is_directory() ? names_of[ino] == 1 : node->stat().nlink == names_of[ino]);
  }
  check(fs->live_nodes() == 1 + nodes.size());
  return 0;
}
