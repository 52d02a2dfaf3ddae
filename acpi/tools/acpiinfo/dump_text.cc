#include "acpi/tools/acpiinfo/dump_text.h"

#include <cctype>
#include <cstring>

namespace acpiinfo {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A header is "SSSS @ 0xHHHH...": 4 signature characters, preceded by the line start or a space.
bool parse_header(const std::string& line, std::string& name, std::uint64_t& phys) {
  std::size_t at = line.find(" @ 0x");
  if (at == std::string::npos || at < 4) return false;
  if (at > 4 && line[at - 5] != ' ' && line[at - 5] != '\t' && line[at - 5] != ']') return false;
  std::size_t i = at + 5;
  std::uint64_t value = 0;
  std::size_t digits = 0;
  for (; i < line.size() && hex_value(line[i]) >= 0; ++i, ++digits) {
    if (digits >= 16) return false;
    value = value << 4 | static_cast<std::uint64_t>(hex_value(line[i]));
  }
  if (digits == 0) return false;
  for (; i < line.size(); ++i) {
    if (!std::isspace(static_cast<unsigned char>(line[i]))) return false;
  }
  name = line.substr(at - 4, 4);
  phys = value;
  return true;
}

// A data line is "<spaces>OFFSET: HH HH ...": returns false when the line is not one (other
// text), true with the offset and bytes when it is. At most 16 bytes; bytes are separated by one
// space and the ASCII column starts after two, which is how the hex part ends. Every ": " in the
// line is tried, so a log prefix such as "acpi: " in front of the dump does not matter.
bool parse_data_at(const std::string& line, std::size_t colon, std::uint64_t& offset,
                   std::vector<std::uint8_t>& bytes) {
  std::size_t start = colon;
  while (start > 0 && hex_value(line[start - 1]) >= 0) --start;
  if (start == colon || colon - start > 8) return false;
  if (start > 0 && line[start - 1] != ' ' && line[start - 1] != '\t') return false;
  offset = 0;
  for (std::size_t k = start; k < colon; ++k) {
    offset = offset << 4 | static_cast<std::uint64_t>(hex_value(line[k]));
  }
  bytes.clear();
  std::size_t p = colon + 2;
  while (bytes.size() < 16 && p + 2 <= line.size() && hex_value(line[p]) >= 0 &&
         hex_value(line[p + 1]) >= 0) {
    if (p + 2 < line.size() && line[p + 2] != ' ') break;  // a word, not a byte
    bytes.push_back(static_cast<std::uint8_t>(hex_value(line[p]) << 4 | hex_value(line[p + 1])));
    p += 3;
    if (p < line.size() && line[p] == ' ') break;  // second space: the ASCII column follows
  }
  return !bytes.empty();
}

bool parse_data(const std::string& line, std::uint64_t& offset, std::vector<std::uint8_t>& bytes) {
  for (std::size_t at = line.find(": "); at != std::string::npos; at = line.find(": ", at + 1)) {
    if (parse_data_at(line, at, offset, bytes)) return true;
  }
  return false;
}

}  // namespace

bool looks_like_dump(const std::string& text) {
  std::size_t begin = 0;
  std::string name;
  std::uint64_t phys = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    if (parse_header(text.substr(begin, end - begin), name, phys)) return true;
    begin = end + 1;
  }
  return false;
}

bool parse_dump(const std::string& text, std::vector<DumpedTable>& out, DumpParseError& error) {
  std::size_t begin = 0;
  std::size_t number = 0;
  DumpedTable* current = nullptr;
  std::vector<std::uint8_t> bytes;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(begin, end - begin);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    begin = end + 1;
    ++number;
    DumpedTable header;
    if (parse_header(line, header.name, header.phys)) {
      header.line = number;
      out.push_back(header);
      current = &out.back();
      continue;
    }
    std::uint64_t offset = 0;
    if (current == nullptr || !parse_data(line, offset, bytes)) continue;
    if (offset != current->bytes.size()) {
      error.line = number;
      error.message = current->name + " @ line " + std::to_string(current->line) +
                      ": data line at offset " + std::to_string(offset) + ", expected " +
                      std::to_string(current->bytes.size());
      return false;
    }
    current->bytes.insert(current->bytes.end(), bytes.begin(), bytes.end());
  }
  for (const DumpedTable& t : out) {
    if (t.bytes.empty()) {
      error.line = t.line;
      error.message = t.name + ": header without data lines";
      return false;
    }
  }
  return true;
}

}  // namespace acpiinfo
