// The frame allocator's bitmap words (frame_allocator.h): shared by its source files, not an
// interface of its own.
#pragma once

#include <atomic>
#include <cstdint>

namespace mm::frame_bits {

constexpr std::uint64_t words_for(std::uint64_t frames) { return (frames + 63) / 64; }

// Every bitmap word is accessed atomically (relaxed): enter_cache and leave_cache read and
// change bits without lock_, while holders of lock_ change other bits of the same word. The
// ordering between a frame's owner and its next user comes from whoever hands the frame over.
inline std::atomic_ref<std::uint64_t> word_ref(const std::uint64_t* map, std::uint64_t w) {
  // atomic_ref of a const word is not C++20; the loads below never write through it.
  return std::atomic_ref<std::uint64_t>(const_cast<std::uint64_t*>(map)[w]);
}
inline std::uint64_t load_word(const std::uint64_t* map, std::uint64_t w) {
  return word_ref(map, w).load(std::memory_order_relaxed);
}
inline void store_word(std::uint64_t* map, std::uint64_t w, std::uint64_t v) {
  word_ref(map, w).store(v, std::memory_order_relaxed);
}
inline bool test_bit(const std::uint64_t* map, std::uint64_t i) { return (load_word(map, i / 64) >> (i % 64)) & 1; }
// Both return whether the bit was set before.
inline bool set_bit(std::uint64_t* map, std::uint64_t i) {
  const std::uint64_t bit = 1ull << (i % 64);
  return word_ref(map, i / 64).fetch_or(bit, std::memory_order_relaxed) & bit;
}
inline bool clear_bit(std::uint64_t* map, std::uint64_t i) {
  const std::uint64_t bit = 1ull << (i % 64);
  return word_ref(map, i / 64).fetch_and(~bit, std::memory_order_relaxed) & bit;
}
// The set bits among the first `frames` (the words past them are zero).
inline std::uint64_t count_bits(const std::uint64_t* map, std::uint64_t frames) {
  std::uint64_t n = 0;
  for (std::uint64_t w = 0; w < words_for(frames); ++w) {
    n += static_cast<std::uint64_t>(__builtin_popcountll(load_word(map, w)));
  }
  return n;
}

}  // namespace mm::frame_bits
