#include "acpi/tools/acpiinfo/inputs.h"

#include <fstream>
#include <sstream>

#include "acpi/tools/acpiinfo/dump_text.h"

namespace acpiinfo {

bool Inputs::load(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open";
    return false;
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) {
    error = path + ": read error";
    return false;
  }
  return add(path, content.str(), error);
}

bool Inputs::add(const std::string& file, const std::string& content, std::string& error) {
  // A binary table starts with its signature; text dumps start with anything but have a header
  // line. "RSD PTR " files are binary RSDPs (acpixtract writes rsdp.dat).
  bool binary_rsdp = content.compare(0, 8, "RSD PTR ") == 0;
  if (!binary_rsdp && looks_like_dump(content)) {
    std::vector<DumpedTable> tables;
    DumpParseError parse_error;
    if (!parse_dump(content, tables, parse_error)) {
      error = file + ":" + std::to_string(parse_error.line) + ": " + parse_error.message;
      return false;
    }
    for (DumpedTable& t : tables) {
      Blob b;
      b.file = file;
      b.name = t.name == "RSD " ? "RSDP" : t.name;
      b.has_address = t.phys != 0;
      b.phys = t.phys;
      b.bytes = std::move(t.bytes);
      blobs_.push_back(std::move(b));
    }
    return true;
  }
  if (content.size() < 4) {
    error = file + ": " + std::to_string(content.size()) + " bytes: too short for a table";
    return false;
  }
  Blob b;
  b.file = file;
  b.name = binary_rsdp ? "RSDP" : content.substr(0, 4);
  b.bytes.assign(content.begin(), content.end());
  blobs_.push_back(std::move(b));
  return true;
}

const Blob* Inputs::addressed_rsdp() const {
  for (const Blob& b : blobs_) {
    if (b.name == "RSDP" && b.has_address) return &b;
  }
  return nullptr;
}

const Blob* Inputs::by_name(const std::string& sig) const {
  for (const Blob& b : blobs_) {
    if (b.name == sig) return &b;
  }
  return nullptr;
}

const Blob* Inputs::at_address(std::uint64_t phys) const {
  for (const Blob& b : blobs_) {
    if (b.has_address && phys >= b.phys && phys - b.phys < b.bytes.size()) return &b;
  }
  return nullptr;
}

const std::uint8_t* BlobMemory::map(std::uint64_t phys, std::uint64_t length) {
  const Blob* b = inputs_.at_address(phys);
  if (b == nullptr) return nullptr;
  std::uint64_t offset = phys - b->phys;
  if (length > b->bytes.size() - offset) return nullptr;
  return b->bytes.data() + offset;
}

}  // namespace acpiinfo
