// The peers: glibc malloc (the process's own malloc) and mimalloc, jemalloc and tcmalloc, each
// loaded with dlopen(RTLD_NOW | RTLD_LOCAL) and driven through entry points taken with dlsym.
// RTLD_LOCAL keeps their malloc/free out of the global symbol scope, so none of them replaces
// glibc's malloc for the rest of the process or for each other; the binary links none of them
// and needs none of their headers (the prototypes below are the libraries' documented C APIs).
// load_allocators() proves the separation with verify_ownership before any benchmark runs.
#include <dlfcn.h>
#include <malloc.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bench/alloc/allocator.h"

namespace allocbench {
namespace {

// --- glibc -------------------------------------------------------------------------------

class Glibc final : public Allocator {
 public:
  const char* name() const override { return "glibc"; }
  void* allocate(std::size_t size) override { return std::malloc(size); }
  void release(void* p) override { std::free(p); }
  std::uint64_t held_bytes() override {
    const struct mallinfo2 m = mallinfo2();
    return m.arena + m.hblkhd;
  }
  const char* held_what() const override {
    return "mallinfo2 arena + hblkhd: heap space of all arenas (in use or free) plus mmapped "
           "chunks";
  }
  void trim() override { malloc_trim(0); }
  std::string check_owner(void* p, std::size_t size) override {
    return malloc_usable_size(p) >= size ? "" : "malloc_usable_size below the requested size";
  }
};

// A dlopen'd library: the handle and a lookup that records the first missing symbol.
class Library {
 public:
  Library(const char* soname, std::string& why) {
    handle_ = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!handle_) {
      const char* err = dlerror();
      why = std::string("dlopen ") + soname + ": " + (err ? err : "failed");
    }
  }
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;
  // Never dlclose: the libraries keep thread caches and atexit hooks that outlive a benchmark.

  bool loaded() const { return handle_ != nullptr; }

  template <typename F>
  void get(F& fn, const char* symbol, std::string& why) {
    fn = reinterpret_cast<F>(dlsym(handle_, symbol));
    if (!fn && why.empty()) why = std::string("symbol ") + symbol + " missing";
  }

 private:
  void* handle_ = nullptr;
};

// --- mimalloc (libmimalloc.so.2, package libmimalloc2.0 / libmimalloc-dev) ----------------

class Mimalloc final : public Allocator {
 public:
  explicit Mimalloc(std::string& why) : lib_("libmimalloc.so.2", why) {
    if (!lib_.loaded()) return;
    lib_.get(malloc_, "mi_malloc", why);
    lib_.get(free_, "mi_free", why);
    lib_.get(usable_, "mi_usable_size", why);
    lib_.get(in_heap_, "mi_is_in_heap_region", why);
    lib_.get(process_info_, "mi_process_info", why);
    lib_.get(collect_, "mi_collect", why);
  }
  const char* name() const override { return "mimalloc"; }
  void* allocate(std::size_t size) override { return malloc_(size); }
  void release(void* p) override { free_(p); }
  std::uint64_t held_bytes() override {
    std::size_t elapsed, user, sys, rss, peak_rss, commit, peak_commit, faults;
    process_info_(&elapsed, &user, &sys, &rss, &peak_rss, &commit, &peak_commit, &faults);
    return commit;
  }
  const char* held_what() const override {
    return "mi_process_info current_commit: memory mimalloc has committed from the OS "
           "(segments with pages in use, free or cached)";
  }
  void trim() override { collect_(true); }
  std::string check_owner(void* p, std::size_t size) override {
    if (!in_heap_(p)) return "mi_is_in_heap_region false";
    return usable_(p) >= size ? "" : "mi_usable_size below the requested size";
  }

 private:
  Library lib_;
  void* (*malloc_)(std::size_t) = nullptr;
  void (*free_)(void*) = nullptr;
  std::size_t (*usable_)(const void*) = nullptr;
  bool (*in_heap_)(const void*) = nullptr;
  void (*process_info_)(std::size_t*, std::size_t*, std::size_t*, std::size_t*, std::size_t*,
                        std::size_t*, std::size_t*, std::size_t*) = nullptr;
  void (*collect_)(bool) = nullptr;
};

// --- jemalloc (libjemalloc.so.2, package libjemalloc2 / libjemalloc-dev) -----------------
// Its thread-local state is initial-exec TLS: dlopen needs static TLS room that glibc reserves
// only when asked (GLIBC_TUNABLES glibc.rtld.optional_static_tls, set by alloc_bench's main).

class Jemalloc final : public Allocator {
 public:
  explicit Jemalloc(std::string& why) : lib_("libjemalloc.so.2", why) {
    if (!lib_.loaded()) return;
    lib_.get(mallocx_, "mallocx", why);
    lib_.get(dallocx_, "dallocx", why);
    lib_.get(sallocx_, "sallocx", why);
    lib_.get(mallctl_, "mallctl", why);
  }
  const char* name() const override { return "jemalloc"; }
  void* allocate(std::size_t size) override { return mallocx_(size, 0); }
  void release(void* p) override { dallocx_(p, 0); }
  std::uint64_t held_bytes() override {
    // Statistics are snapshots refreshed by writing "epoch".
    std::uint64_t epoch = 1;
    std::size_t epoch_size = sizeof epoch;
    mallctl_("epoch", &epoch, &epoch_size, &epoch, epoch_size);
    std::size_t resident = 0;
    std::size_t size = sizeof resident;
    if (mallctl_("stats.resident", &resident, &size, nullptr, 0) != 0) return 0;
    return resident;
  }
  const char* held_what() const override {
    return "mallctl stats.resident: bytes in physically resident data pages the allocator "
           "maps (in use, cached, metadata)";
  }
  void trim() override {
    mallctl_("thread.tcache.flush", nullptr, nullptr, nullptr, 0);
    // MALLCTL_ARENAS_ALL (jemalloc.h): 4096 names every arena.
    mallctl_("arena.4096.purge", nullptr, nullptr, nullptr, 0);
  }
  std::string check_owner(void* p, std::size_t size) override {
    return sallocx_(p, 0) >= size ? "" : "sallocx below the requested size";
  }

 private:
  Library lib_;
  void* (*mallocx_)(std::size_t, int) = nullptr;
  void (*dallocx_)(void*, int) = nullptr;
  std::size_t (*sallocx_)(const void*, int) = nullptr;
  int (*mallctl_)(const char*, void*, std::size_t*, void*, std::size_t) = nullptr;
};

// --- tcmalloc (libtcmalloc_minimal.so.4, package libtcmalloc-minimal4 /
//     libgoogle-perftools-dev): the allocator without the profilers ----------------------

class Tcmalloc final : public Allocator {
 public:
  explicit Tcmalloc(std::string& why) : lib_("libtcmalloc_minimal.so.4", why) {
    if (!lib_.loaded()) return;
    lib_.get(malloc_, "tc_malloc", why);
    lib_.get(free_, "tc_free", why);
    lib_.get(size_of_, "tc_malloc_size", why);
    lib_.get(property_, "MallocExtension_GetNumericProperty", why);
    lib_.get(release_free_, "MallocExtension_ReleaseFreeMemory", why);
  }
  const char* name() const override { return "tcmalloc"; }
  void* allocate(std::size_t size) override { return malloc_(size); }
  void release(void* p) override { free_(p); }
  std::uint64_t held_bytes() override {
    std::size_t heap = 0, unmapped = 0;
    if (!property_("generic.heap_size", &heap)) return 0;
    if (!property_("tcmalloc.pageheap_unmapped_bytes", &unmapped)) return heap;
    return heap - unmapped;
  }
  const char* held_what() const override {
    return "generic.heap_size - tcmalloc.pageheap_unmapped_bytes: bytes from the system still "
           "mapped (in use, in thread and central caches, free in the page heap)";
  }
  void trim() override { release_free_(); }
  std::string check_owner(void* p, std::size_t size) override {
    return size_of_(p) >= size ? "" : "tc_malloc_size below the requested size";
  }

 private:
  Library lib_;
  void* (*malloc_)(std::size_t) = nullptr;
  void (*free_)(void*) = nullptr;
  std::size_t (*size_of_)(void*) = nullptr;
  int (*property_)(const char*, std::size_t*) = nullptr;
  void (*release_free_)() = nullptr;
};

template <typename A>
std::unique_ptr<Allocator> make_peer(std::string& why) {
  why.clear();
  auto a = std::make_unique<A>(why);
  if (!why.empty()) return nullptr;
  return a;
}

}  // namespace

std::unique_ptr<Allocator> make_glibc(std::string& why) {
  why.clear();
  return std::make_unique<Glibc>();
}
std::unique_ptr<Allocator> make_mimalloc(std::string& why) { return make_peer<Mimalloc>(why); }
std::unique_ptr<Allocator> make_jemalloc(std::string& why) { return make_peer<Jemalloc>(why); }
std::unique_ptr<Allocator> make_tcmalloc(std::string& why) { return make_peer<Tcmalloc>(why); }

}  // namespace allocbench
