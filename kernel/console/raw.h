// Formatted output straight to the consoles without a level prefix or newline
// (klog::write_raw): for the panic and exception reports and the test runner's summary lines.
#pragma once

#include "kernel/console/log.h"

namespace klog {

class RawSink final : public fmt::Sink {
 public:
  void write(const char* text, std::size_t length) override { write_raw(text, length); }
};

template <typename... Args>
void raw(fmt::StringView format, const Args&... args) {
  RawSink sink;
  fmt::format_to(sink, format, args...);
}

}  // namespace klog
