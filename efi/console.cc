#include "efi/console.h"

namespace loader {
namespace {

class ConOutSink final : public fmt::Sink {
 public:
  void write(const char* text, std::size_t length) override {
    if (out_ == nullptr) return;
    // Convert in chunks; the extra slots leave room for "\r" before "\n" and the terminator.
    CHAR16 chunk[130];
    std::size_t used = 0;
    for (std::size_t i = 0; i < length; ++i) {
      const char c = text[i];
      if (c == '\n') chunk[used++] = u'\r';
      chunk[used++] = static_cast<unsigned char>(c) < 0x80 ? static_cast<CHAR16>(c) : u'?';
      if (used >= 127 || i + 1 == length) {
        chunk[used] = 0;
        out_->OutputString(out_, chunk);
        used = 0;
      }
    }
  }
  SIMPLE_TEXT_OUTPUT_INTERFACE* out_ = nullptr;
};

ConOutSink g_console;

}  // namespace

void console_init(EFI_SYSTEM_TABLE* system_table) { g_console.out_ = system_table->ConOut; }

fmt::Sink& console() { return g_console; }

}  // namespace loader
