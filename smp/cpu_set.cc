#include "smp/cpu_set.h"

namespace smp {

CpuSet CpuSet::all(std::uint32_t count) {
  CpuSet s;
  if (count > kMaxCpus) count = kMaxCpus;
  for (std::uint32_t w = 0; w < count / 64; ++w) s.words_[w] = ~0ull;
  if (count % 64) s.words_[count / 64] = (1ull << (count % 64)) - 1;
  return s;
}

CpuSet CpuSet::only(std::uint32_t cpu) {
  CpuSet s;
  s.add(platform::CpuNumber{cpu});
  return s;
}

void CpuSet::add(platform::CpuNumber cpu) {
  std::uint32_t i = platform::to_index(cpu);
  if (i < kMaxCpus) words_[i / 64] |= 1ull << (i % 64);
}

void CpuSet::remove(platform::CpuNumber cpu) {
  std::uint32_t i = platform::to_index(cpu);
  if (i < kMaxCpus) words_[i / 64] &= ~(1ull << (i % 64));
}

std::uint32_t CpuSet::count() const {
  std::uint32_t n = 0;
  for (auto w : words_) n += static_cast<std::uint32_t>(__builtin_popcountll(w));
  return n;
}

std::uint32_t CpuSet::next(std::uint32_t from) const {
  for (std::uint32_t w = from / 64; w < kWords; ++w) {
    std::uint64_t bits = words_[w];
    if (w == from / 64) bits &= ~0ull << (from % 64);
    if (bits) return w * 64 + static_cast<std::uint32_t>(__builtin_ctzll(bits));
  }
  return kMaxCpus;
}

CpuSet& CpuSet::operator&=(const CpuSet& other) {
  for (std::uint32_t w = 0; w < kWords; ++w) words_[w] &= other.words_[w];
  return *this;
}

CpuSet& CpuSet::operator|=(const CpuSet& other) {
  for (std::uint32_t w = 0; w < kWords; ++w) words_[w] |= other.words_[w];
  return *this;
}

bool CpuSet::operator==(const CpuSet& other) const {
  for (std::uint32_t w = 0; w < kWords; ++w) {
    if (words_[w] != other.words_[w]) return false;
  }
  return true;
}

}  // namespace smp
