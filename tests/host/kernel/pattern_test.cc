#include "kernel/ktest/pattern.h"

#include <gtest/gtest.h>

namespace {

bool m(const char* pattern, const char* name) { return ktest::name_matches(pattern, name); }

TEST(TestPattern, EmptyMatchesAll) { EXPECT_TRUE(m("", "anything")); }

TEST(TestPattern, PrefixWithoutStar) {
  EXPECT_TRUE(m("fault", "fault_page"));
  EXPECT_TRUE(m("fault_page", "fault_page"));
  EXPECT_FALSE(m("fault_page_x", "fault_page"));
  EXPECT_FALSE(m("page", "fault_page"));
}

TEST(TestPattern, GlobMatchesWholeName) {
  EXPECT_TRUE(m("*page*", "fault_page_write"));
  EXPECT_TRUE(m("fault_*", "fault_"));
  EXPECT_TRUE(m("*_write", "fault_page_write"));
  EXPECT_FALSE(m("*_read", "fault_page_write"));
  EXPECT_FALSE(m("fault*x", "fault_page"));
  EXPECT_TRUE(m("a*b*c", "aXbYbZc"));
  EXPECT_TRUE(m("*", ""));
  EXPECT_TRUE(m("**a**", "a"));
  EXPECT_FALSE(m("a*", "ba"));
}

TEST(TestPattern, PathologicalGlobTerminates) {
  std::string name(200, 'a');
  EXPECT_FALSE(ktest::name_matches("*a*a*a*a*a*a*a*a*b", name.c_str()));
}

}  // namespace
