#include "kernel/tty/input_ring.h"

namespace ktty {

void InputRing::append_locked(const std::uint8_t* bytes, std::size_t length) {
  for (std::size_t i = 0; i < length; ++i) {
    ring_[(head_ + count_) % kCapacity] = bytes[i];
    ++count_;
  }
  if (count_ != 0) pending_.store(true, std::memory_order_release);
}

std::size_t InputRing::push(const std::uint8_t* bytes, std::size_t length) {
  smp::Guard g{lock_};
  const std::size_t room = kCapacity - count_;
  const std::size_t n = length < room ? length : room;
  append_locked(bytes, n);
  if (n < length) dropped_.fetch_add(length - n, std::memory_order_relaxed);
  return n;
}

std::size_t InputRing::pop(std::uint8_t* out, std::size_t max) {
  smp::Guard g{lock_};
  std::size_t n = 0;
  while (n < max && count_ != 0) {
    out[n++] = ring_[head_];
    head_ = (head_ + 1) % kCapacity;
    --count_;
  }
  pending_.store(count_ != 0, std::memory_order_release);
  return n;
}

}  // namespace ktty
