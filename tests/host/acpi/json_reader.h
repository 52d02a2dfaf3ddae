// A small JSON reader for the tests (expected.json files, acpiinfo --json output). Numbers are
// kept as text too, so 64-bit values compare exactly.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace acpi_test {

struct Json {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject } kind = Kind::kNull;
  bool boolean = false;
  std::string text;  // number or string
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> members;  // in file order

  bool has(const std::string& key) const;
  const Json& operator[](const std::string& key) const;  // throws std::out_of_range if absent
  const Json& operator[](std::size_t i) const { return items.at(i); }
  std::uint64_t u64() const;  // number, or a "0x..." hex string
  std::size_t size() const { return kind == Kind::kArray ? items.size() : members.size(); }
};

// Parses `text`; throws std::runtime_error with the offset on malformed input.
Json parse_json(const std::string& text);

}  // namespace acpi_test
