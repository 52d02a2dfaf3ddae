// A fmt::Sink that collects what is written into a std::string, for tests of code that formats.
#pragma once

#include <cstddef>
#include <string>

#include "smp/klib/format.h"

namespace testing_support {

class StringSink final : public fmt::Sink {
 public:
  void write(const char* text, std::size_t length) override { text_.append(text, length); }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

}  // namespace testing_support
