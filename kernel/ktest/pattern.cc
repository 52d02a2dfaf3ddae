#include "kernel/ktest/pattern.h"

namespace ktest {
namespace {

bool has_star(fmt::StringView p) {
  for (std::size_t i = 0; i < p.length; ++i) {
    if (p.data[i] == '*') return true;
  }
  return false;
}

// Iterative glob with one backtrack point (the last '*'): O(pattern * name) at worst, no
// recursion, so a hostile pattern cannot exhaust the stack.
bool glob(fmt::StringView p, fmt::StringView n) {
  std::size_t pi = 0, ni = 0;
  std::size_t star = p.length;  // none yet
  std::size_t resume = 0;
  while (ni < n.length) {
    if (pi < p.length && p.data[pi] == '*') {
      star = pi++;
      resume = ni;
    } else if (pi < p.length && p.data[pi] == n.data[ni]) {
      ++pi;
      ++ni;
    } else if (star != p.length) {
      pi = star + 1;
      ni = ++resume;
    } else {
      return false;
    }
  }
  while (pi < p.length && p.data[pi] == '*') ++pi;
  return pi == p.length;
}

}  // namespace

bool name_matches(fmt::StringView pattern, fmt::StringView name) {
  if (has_star(pattern)) return glob(pattern, name);
  if (pattern.length > name.length) return false;
  for (std::size_t i = 0; i < pattern.length; ++i) {
    if (pattern.data[i] != name.data[i]) return false;
  }
  return true;
}

}  // namespace ktest
