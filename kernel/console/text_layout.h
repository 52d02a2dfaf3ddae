// Text layout of a fixed grid of character cells: cursor movement, line wrap, tabs and
// scrolling, independent of how cells are drawn. Pure code, tested on the host
// (tests/host/kernel/text_layout_test.cc); the framebuffer console is its drawing backend.
#pragma once

#include <cstddef>

namespace console {

// What the layout asks of a display. Coordinates are always inside the grid.
class TextBackend {
 public:
  virtual void draw_cell(unsigned column, unsigned row, char c) = 0;
  // Moves every row up by one and blanks the bottom row.
  virtual void scroll_up() = 0;

 protected:
  ~TextBackend() = default;
};

class TextLayout {
 public:
  static constexpr unsigned kTabWidth = 8;

  constexpr TextLayout() = default;
  constexpr TextLayout(unsigned columns, unsigned rows) : columns_(columns), rows_(rows) {}

  // Lays out `text` on `backend`: '\n' starts a new line, '\r' returns to column 0, '\t'
  // advances to the next tab stop, anything else is one cell. A full line wraps before the
  // next character is drawn (so a line of exactly `columns` characters followed by '\n' does
  // not leave a blank line). A grid with no cells ignores all text.
  void write(const char* text, std::size_t length, TextBackend& backend);

  unsigned column() const { return column_; }
  unsigned row() const { return row_; }
  unsigned columns() const { return columns_; }
  unsigned rows() const { return rows_; }

 private:
  void new_line(TextBackend& backend);
  void put_cell(char c, TextBackend& backend);

  unsigned columns_ = 0;
  unsigned rows_ = 0;
  unsigned column_ = 0;
  unsigned row_ = 0;
};

}  // namespace console
