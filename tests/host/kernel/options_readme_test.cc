// README.md's "Kernel command line" table must be the one the option table (kernel/core/
// options.inc) makes: one row per option, its forms, its default and its help. On a mismatch the
// test prints the whole expected table, ready to paste.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "kernel/core/options.h"

#include "tests/host/string_sink.h"

#ifndef PLEIADES_README_PATH
#error "PLEIADES_README_PATH: the build passes README.md's path"
#endif

namespace {

using testing_support::StringSink;

// "sched, sched=on|off" -> "`sched`, `sched=on\|off`" (a '|' inside a table cell is escaped,
// in code spans too).
std::string markdown_forms(const std::string& forms) {
  std::string out = "`";
  for (std::size_t i = 0; i < forms.size(); ++i) {
    if (forms.compare(i, 2, ", ") == 0) {
      out += "`, `";
      ++i;
    } else if (forms[i] == '|') {
      out += "\\|";
    } else {
      out += forms[i];
    }
  }
  return out + "`";
}

std::vector<std::string> expected_table() {
  std::vector<std::string> lines = {"| option | default | effect |", "|---|---|---|"};
  for (const cmdline::Option& o : cmdline::option_table()) {
    StringSink forms;
    o.write_usage(forms, o.name);
    StringSink default_text;
    if (o.write_default != nullptr) {
      o.write_default(default_text);
    } else {
      default_text.write("-", 1);  // an alias
    }
    lines.push_back("| " + markdown_forms(forms.text()) + " | " + default_text.text() + " | " +
                    o.help + " |");
  }
  return lines;
}

// The table's lines: the first run of lines starting with '|' after the section heading.
std::vector<std::string> readme_table() {
  std::ifstream in(PLEIADES_README_PATH);
  EXPECT_TRUE(in.good()) << "cannot read " << PLEIADES_README_PATH;
  std::vector<std::string> lines;
  std::string line;
  bool in_section = false;
  while (std::getline(in, line)) {
    if (line == "### Kernel command line") {
      in_section = true;
    } else if (in_section && line.rfind("|", 0) == 0) {
      lines.push_back(line);
    } else if (in_section && !lines.empty()) {
      break;
    }
  }
  return lines;
}

TEST(OptionsReadme, TableMatchesTheOptionTable) {
  const std::vector<std::string> expected = expected_table();
  const std::vector<std::string> actual = readme_table();
  std::ostringstream want;
  for (const std::string& l : expected) want << l << "\n";
  ASSERT_FALSE(actual.empty()) << "README.md has no table under \"### Kernel command line\"";
  EXPECT_EQ(actual, expected) << "README.md's \"Kernel command line\" table should read:\n"
                              << want.str();
}

}  // namespace
