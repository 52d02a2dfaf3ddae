// Loading the allocators and proving that each pointer comes from the allocator asked for.
#include <cstring>
#include <vector>

#include "bench/alloc/allocator.h"

namespace allocbench {

std::string verify_ownership(Allocator& a) {
  // 16 blocks of 1 MiB: large enough that every allocator maps fresh memory for them (none
  // caches that much in a process that has not used it yet), so its held bytes must grow.
  constexpr std::size_t kBlock = std::size_t{1} << 20;
  constexpr int kBlocks = 16;
  a.trim();
  const std::uint64_t before = a.held_bytes();
  std::vector<void*> blocks;
  std::string why;
  for (int i = 0; i < kBlocks && why.empty(); ++i) {
    void* p = a.allocate(kBlock);
    if (!p) {
      why = "allocation of 1 MiB failed";
      break;
    }
    std::memset(p, 0xa5, kBlock);  // resident, for the counters that count resident pages
    blocks.push_back(p);
    why = a.check_owner(p, kBlock);
  }
  const std::uint64_t after = a.held_bytes();
  if (why.empty() && after < before + kBlocks * kBlock) {
    why = "its held bytes grew by " + std::to_string(after - before) + " for " +
          std::to_string(kBlocks * kBlock) + " allocated: the pointers are not its own";
  }
  // A small block too: it takes the size-class path, which check_owner also covers.
  if (why.empty()) {
    void* small = a.allocate(64);
    why = small ? a.check_owner(small, 64) : "allocation of 64 bytes failed";
    if (small) a.release(small);
  }
  for (void* p : blocks) a.release(p);
  return why;
}

Allocators load_allocators() {
  Allocators all;
  auto accept = [&all](std::unique_ptr<Allocator> a, const char* name, std::string why) {
    if (a && why.empty()) why = verify_ownership(*a);
    if (a && why.empty()) {
      all.loaded.push_back(std::move(a));
    } else {
      all.missing.push_back({name, why});
    }
  };
  // The package to install, named only when the library is not there at all.
  auto hint = [](const std::string& why, const char* package) {
    if (why.find("cannot open shared object file") == std::string::npos) return why;
    return why + " (install " + package + ": scripts/deps)";
  };
  std::string why;
  accept(make_our_heap(), "ours:heap", "");
  auto mimalloc = make_mimalloc(why);
  accept(std::move(mimalloc), "mimalloc", hint(why, "libmimalloc-dev"));
  auto jemalloc = make_jemalloc(why);
  accept(std::move(jemalloc), "jemalloc", hint(why, "libjemalloc-dev"));
  auto tcmalloc = make_tcmalloc(why);
  accept(std::move(tcmalloc), "tcmalloc", hint(why, "libgoogle-perftools-dev"));
  // glibc last: its check then also shows that loading the others left the process's own
  // malloc in place.
  accept(make_glibc(why), "glibc", why);
  return all;
}

}  // namespace allocbench
