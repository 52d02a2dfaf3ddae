// The built vdso.so, read into memory for the tests.
#pragma once

#include <cstdint>
#include <fstream>
#include <iterator>
#include <vector>

inline std::vector<std::uint8_t> read_vdso_file() {
  std::ifstream in(PLEIADES_VDSO_SO, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}
