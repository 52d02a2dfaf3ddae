#include "smp/klib/words.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

std::string str(fmt::StringView v) { return std::string(v.data, v.length); }

std::vector<klib::Word> words(const std::string& text, int stop_after = 1000) {
  std::vector<klib::Word> out;
  klib::for_each_word(fmt::StringView(text.data(), text.size()), [&](const klib::Word& w) {
    out.push_back(w);
    return static_cast<int>(out.size()) < stop_after;
  });
  return out;
}

TEST(Words, SplitsOnBlanksAndTheFirstEquals) {
  static const std::string text = "  test=a=b\tqemu_exit\r\nmaxcpus= ";
  auto w = words(text);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(str(w[0].key), "test");
  EXPECT_EQ(str(w[0].value), "a=b");
  EXPECT_TRUE(w[0].has_value);
  EXPECT_EQ(str(w[1].whole), "qemu_exit");
  EXPECT_FALSE(w[1].has_value);
  EXPECT_EQ(w[1].value.length, 0u);
  EXPECT_TRUE(w[2].has_value);
  EXPECT_EQ(w[2].value.length, 0u);
  EXPECT_EQ(w[0].whole.data, text.data() + 2);  // views into the text
}

TEST(Words, StopsWhenTheVisitorSaysSoAndReadsOnlyTheLength) {
  EXPECT_EQ(words("a b c d", 2).size(), 2u);
  EXPECT_TRUE(words("").empty());
  EXPECT_TRUE(words(" \t ").empty());
  const char text[] = {'a', 'b', ' ', 'c', 'X'};  // no terminator; length 4 stops before X
  std::vector<std::string> seen;
  klib::for_each_word(fmt::StringView(text, 4), [&](const klib::Word& w) {
    seen.push_back(str(w.whole));
    return true;
  });
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1], "c");
}

TEST(Words, EqualsAndParseU32) {
  EXPECT_TRUE(klib::equals(fmt::StringView("smp", 3), "smp"));
  EXPECT_FALSE(klib::equals(fmt::StringView("smp", 3), "smp2"));
  EXPECT_FALSE(klib::equals(fmt::StringView("smp2", 4), "smp"));
  std::uint32_t v = 0;
  EXPECT_TRUE(klib::parse_u32(fmt::StringView("42"), v));
  EXPECT_EQ(v, 42u);
  EXPECT_TRUE(klib::parse_u32(fmt::StringView("0x40"), v));
  EXPECT_EQ(v, 64u);
  EXPECT_TRUE(klib::parse_u32(fmt::StringView("4294967295"), v));
  EXPECT_EQ(v, 0xFFFFFFFFu);
  EXPECT_FALSE(klib::parse_u32(fmt::StringView("4294967296"), v));
  EXPECT_FALSE(klib::parse_u32(fmt::StringView(""), v));
  EXPECT_FALSE(klib::parse_u32(fmt::StringView("0x"), v));
  EXPECT_FALSE(klib::parse_u32(fmt::StringView("12a"), v));
  EXPECT_FALSE(klib::parse_u32(fmt::StringView("-1"), v));
}

}  // namespace
