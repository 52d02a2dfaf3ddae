// The one interface every allocator in alloc_bench is driven through: ours (mm::Heap over a
// host arena) and the peers people would use instead (glibc malloc, mimalloc, jemalloc,
// tcmalloc), each loaded so that none replaces another (bench/alloc/peers.cc).
//
// Every call goes through the same virtual dispatch, so the indirection costs each allocator
// the same and the differences left are the allocators'.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace allocbench {

class Allocator {
 public:
  virtual ~Allocator() = default;

  // The name benchmarks carry ("ours:heap", "glibc", "mimalloc", ...).
  virtual const char* name() const = 0;

  // `size` bytes aligned to at least 16, or nullptr when the allocator is out of memory.
  virtual void* allocate(std::size_t size) = 0;
  // Gives back a pointer allocate() returned (unsized, as free(3)).
  virtual void release(void* p) = 0;

  // Bytes the allocator holds for the whole process right now, by its own statistics (what
  // exactly each counts: held_what()). Read between runs, not on the timed path.
  virtual std::uint64_t held_bytes() = 0;
  virtual const char* held_what() const = 0;

  // Returns cached free memory to the system where the allocator offers a call for it, so a
  // footprint read afterwards starts from what is live (before a run's baseline).
  virtual void trim() {}

  // Checks that `p`, which allocate(`size`) returned, belongs to this allocator by a check the
  // allocator itself offers (see verify_ownership). Empty string when it does, else why not.
  virtual std::string check_owner(void* p, std::size_t size) = 0;
};

// An allocator that could not be loaded: its name and why (the benchmarks for it are skipped
// with this message; the run goes on).
struct Missing {
  std::string name;
  std::string reason;
};

struct Allocators {
  std::vector<std::unique_ptr<Allocator>> loaded;
  std::vector<Missing> missing;
};

// Loads ours and every peer that is installed. A peer that fails to load, or whose pointers do
// not pass verify_ownership, goes to `missing` with the reason.
Allocators load_allocators();

// Allocates 1 MiB through `a` and checks that the allocator's own held_bytes() grew by at least
// that much and check_owner() accepts the pointer: proof that its entry points reach it and not
// a malloc another library put in front of it. Empty string when both hold, else what failed.
std::string verify_ownership(Allocator& a);

// Our heap's allocator (bench/alloc/our_heap.cc), and the faults its heap reported so far
// (a benchmark that frees wrongly; any fault makes the run's figures meaningless).
std::unique_ptr<Allocator> make_our_heap();
std::uint64_t our_heap_faults();

// glibc malloc, and the peers found with dlopen (bench/alloc/peers.cc). Each returns nullptr
// and sets `why` when the library is not there or lacks an entry point.
std::unique_ptr<Allocator> make_glibc(std::string& why);
std::unique_ptr<Allocator> make_mimalloc(std::string& why);
std::unique_ptr<Allocator> make_jemalloc(std::string& why);
std::unique_ptr<Allocator> make_tcmalloc(std::string& why);

}  // namespace allocbench
