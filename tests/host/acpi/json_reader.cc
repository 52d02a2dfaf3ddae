#include "tests/host/acpi/json_reader.h"

#include <cctype>
#include <stdexcept>

namespace acpi_test {
namespace {

class Parser {
 public:
  explicit Parser(const std::string& t) : t_(t) {}

  Json document() {
    Json v = value();
    skip();
    if (i_ != t_.size()) fail("trailing text");
    return v;
  }

 private:
  [[noreturn]] void fail(const char* what) {
    throw std::runtime_error(std::string("json: ") + what + " at offset " + std::to_string(i_));
  }
  void skip() {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\n' || t_[i_] == '\r' || t_[i_] == '\t')) ++i_;
  }
  bool take(char c) {
    skip();
    if (i_ < t_.size() && t_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!take(c)) fail("unexpected character");
  }
  bool word(const char* w) {
    std::string s(w);
    if (t_.compare(i_, s.size(), s) != 0) return false;
    i_ += s.size();
    return true;
  }
  std::string string_body() {
    expect('"');
    std::string out;
    while (i_ < t_.size() && t_[i_] != '"') {
      char c = t_[i_++];
      if (c == '\\') {
        if (i_ >= t_.size()) fail("bad escape");
        char e = t_[i_++];
        if (e == 'n') out += '\n';
        else if (e == 't') out += '\t';
        else if (e == 'u') {
          if (i_ + 4 > t_.size()) fail("bad \\u escape");
          out += static_cast<char>(std::stoi(t_.substr(i_, 4), nullptr, 16));
          i_ += 4;
        } else out += e;
      } else {
        out += c;
      }
    }
    if (i_ >= t_.size()) fail("unterminated string");
    ++i_;
    return out;
  }
  Json value() {
    skip();
    if (i_ >= t_.size()) fail("unexpected end");
    Json v;
    char c = t_[i_];
    if (c == '{') {
      ++i_;
      v.kind = Json::Kind::kObject;
      if (take('}')) return v;
      do {
        skip();
        std::string key = string_body();
        expect(':');
        v.members.emplace_back(key, value());
      } while (take(','));
      expect('}');
    } else if (c == '[') {
      ++i_;
      v.kind = Json::Kind::kArray;
      if (take(']')) return v;
      do v.items.push_back(value());
      while (take(','));
      expect(']');
    } else if (c == '"') {
      v.kind = Json::Kind::kString;
      v.text = string_body();
    } else if (word("true")) {
      v.kind = Json::Kind::kBool;
      v.boolean = true;
    } else if (word("false")) {
      v.kind = Json::Kind::kBool;
    } else if (word("null")) {
      v.kind = Json::Kind::kNull;
    } else {
      std::size_t start = i_;
      while (i_ < t_.size() && (std::isdigit(static_cast<unsigned char>(t_[i_])) || t_[i_] == '-' ||
                                t_[i_] == '+' || t_[i_] == '.' || t_[i_] == 'e' || t_[i_] == 'E')) ++i_;
      if (start == i_) fail("unexpected character");
      v.kind = Json::Kind::kNumber;
      v.text = t_.substr(start, i_ - start);
    }
    return v;
  }

  const std::string& t_;
  std::size_t i_ = 0;
};

}  // namespace

bool Json::has(const std::string& key) const {
  for (const auto& [k, v] : members) {
    if (k == key) return true;
  }
  return false;
}

const Json& Json::operator[](const std::string& key) const {
  for (const auto& [k, v] : members) {
    if (k == key) return v;
  }
  throw std::out_of_range("json: no key " + key);
}

std::uint64_t Json::u64() const {
  if (kind == Kind::kNumber) return std::stoull(text);
  if (kind == Kind::kString && text.rfind("0x", 0) == 0) return std::stoull(text.substr(2), nullptr, 16);
  if (kind == Kind::kBool) return boolean ? 1 : 0;
  throw std::runtime_error("json: not a number: " + text);
}

Json parse_json(const std::string& text) { return Parser(text).document(); }

}  // namespace acpi_test
