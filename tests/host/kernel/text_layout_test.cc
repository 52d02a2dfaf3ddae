#include "kernel/console/text_layout.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

// A backend that keeps the grid as strings.
class Grid final : public console::TextBackend {
 public:
  Grid(unsigned columns, unsigned rows) : rows_(rows, std::string(columns, '.')) {}
  void draw_cell(unsigned column, unsigned row, char c) override {
    ASSERT_LT(row, rows_.size());
    ASSERT_LT(column, rows_[row].size());
    rows_[row][column] = c;
  }
  void scroll_up() override {
    ++scrolls;
    rows_.erase(rows_.begin());
    rows_.emplace_back(rows_[0].size(), '.');
  }
  const std::string& row(unsigned r) const { return rows_[r]; }
  int scrolls = 0;

 private:
  std::vector<std::string> rows_;
};

void write(console::TextLayout& layout, Grid& grid, const std::string& s) {
  layout.write(s.data(), s.size(), grid);
}

TEST(TextLayout, WritesAndNewlines) {
  Grid grid(6, 3);
  console::TextLayout layout(6, 3);
  write(layout, grid, "ab\ncd");
  EXPECT_EQ(grid.row(0), "ab....");
  EXPECT_EQ(grid.row(1), "cd....");
  EXPECT_EQ(layout.row(), 1u);
  EXPECT_EQ(layout.column(), 2u);
}

TEST(TextLayout, WrapsLazily) {
  Grid grid(4, 3);
  console::TextLayout layout(4, 3);
  write(layout, grid, "abcd\nef");
  // A full line followed by a newline leaves no empty line in between.
  EXPECT_EQ(grid.row(0), "abcd");
  EXPECT_EQ(grid.row(1), "ef..");
  write(layout, grid, "ghij");
  EXPECT_EQ(grid.row(1), "efgh");
  EXPECT_EQ(grid.row(2), "ij..");
}

TEST(TextLayout, ScrollsAtBottom) {
  Grid grid(3, 2);
  console::TextLayout layout(3, 2);
  write(layout, grid, "1\n2\n3\n4");
  EXPECT_EQ(grid.scrolls, 2);
  EXPECT_EQ(grid.row(0), "3..");
  EXPECT_EQ(grid.row(1), "4..");
  EXPECT_EQ(layout.row(), 1u);
}

TEST(TextLayout, CarriageReturnAndTabs) {
  Grid grid(20, 2);
  console::TextLayout layout(20, 2);
  write(layout, grid, "xyz\rA\tB");
  // The tab draws blanks: it overwrites "yz" like a terminal without a tab stop memory.
  EXPECT_EQ(grid.row(0), "A       B...........");
  EXPECT_EQ(layout.column(), 9u);
  // A tab near the end stops at the last column.
  Grid narrow(10, 2);
  console::TextLayout l2(10, 2);
  write(l2, narrow, "12345678\tX");
  EXPECT_EQ(narrow.row(0), "12345678  ");
  EXPECT_EQ(narrow.row(1), "X.........");
}

TEST(TextLayout, EmptyGridIgnoresText) {
  Grid grid(1, 1);
  console::TextLayout layout(0, 0);
  write(layout, grid, "hello\n");
  EXPECT_EQ(grid.row(0), ".");
  EXPECT_EQ(grid.scrolls, 0);
}

}  // namespace
