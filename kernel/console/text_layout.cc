#include "kernel/console/text_layout.h"

namespace console {

void TextLayout::new_line(TextBackend& backend) {
  column_ = 0;
  if (row_ + 1 < rows_) {
    ++row_;
  } else {
    backend.scroll_up();  // stay on the bottom row, which is now blank
  }
}

void TextLayout::put_cell(char c, TextBackend& backend) {
  if (column_ >= columns_) new_line(backend);  // deferred wrap
  backend.draw_cell(column_, row_, c);
  ++column_;
}

void TextLayout::write(const char* text, std::size_t length, TextBackend& backend) {
  if (columns_ == 0 || rows_ == 0) return;
  for (std::size_t i = 0; i < length; ++i) {
    const char c = text[i];
    switch (c) {
      case '\n':
        new_line(backend);
        break;
      case '\r':
        column_ = 0;
        break;
      case '\b':  // the terminal's erase echo: back one cell (the next character overwrites it)
        if (column_ > 0) --column_;
        break;
      case '\t': {
        // At least one space, up to the next stop, never past the end of the line.
        unsigned stop = (column_ / kTabWidth + 1) * kTabWidth;
        if (stop > columns_) stop = columns_;
        if (column_ >= columns_) {
          put_cell(' ', backend);
          break;
        }
        while (column_ < stop) put_cell(' ', backend);
        break;
      }
      default:
        put_cell(c, backend);
        break;
    }
  }
}

}  // namespace console
