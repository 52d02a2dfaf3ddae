#include "kernel/core/symbols.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using ksym::ElfSymbol;

constexpr std::uint8_t kFunc = ksym::kTypeFunc | (1 << 4);  // STT_FUNC, STB_GLOBAL
constexpr std::uint8_t kObject = 1;                          // STT_OBJECT

// A synthetic .symtab/.strtab pair.
struct Tables {
  std::string strings{'\0'};
  std::vector<ElfSymbol> symbols{ElfSymbol{}};  // index 0 is the null symbol, as in ELF

  void add(const std::string& name, std::uint64_t value, std::uint64_t size,
           std::uint8_t info = kFunc, std::uint16_t section = 1) {
    const auto offset = static_cast<std::uint32_t>(strings.size());
    strings += name;
    strings += '\0';
    symbols.push_back(ElfSymbol{offset, info, 0, section, value, size});
  }
  ksym::SymbolTable table() const {
    return ksym::SymbolTable(symbols.data(), symbols.size() * sizeof(ElfSymbol), strings.data(),
                             strings.size());
  }
};

std::string name(const ksym::Symbolized& s) { return std::string(s.name.data, s.name.length); }

TEST(Symbols, FindsContainingFunction) {
  Tables t;
  t.add("alpha", 0x1000, 0x40);
  t.add("beta", 0x1040, 0x20);
  t.add("gamma", 0x2000, 0x100);
  auto table = t.table();
  auto s = table.lookup(0x1044);
  EXPECT_EQ(name(s), "beta");
  EXPECT_EQ(s.offset, 4u);
  EXPECT_EQ(name(table.lookup(0x1000)), "alpha");
  EXPECT_EQ(table.lookup(0x1000).offset, 0u);
  EXPECT_EQ(name(table.lookup(0x20ff)), "gamma");
}

TEST(Symbols, GapsAndOutsideAreUnknown) {
  Tables t;
  t.add("alpha", 0x1000, 0x40);
  t.add("gamma", 0x2000, 0x100);
  auto table = t.table();
  EXPECT_FALSE(table.lookup(0x1040).found());  // one past alpha's end
  EXPECT_FALSE(table.lookup(0x0fff).found());
  EXPECT_FALSE(table.lookup(0x2100).found());
}

TEST(Symbols, IgnoresObjectsAndUndefined) {
  Tables t;
  t.add("data", 0x1000, 0x1000, kObject);
  t.add("extern_fn", 0x1000, 0x1000, kFunc, 0);
  t.add("real", 0x1800, 0x10);
  auto table = t.table();
  EXPECT_FALSE(table.lookup(0x1004).found());
  EXPECT_EQ(name(table.lookup(0x1804)), "real");
  EXPECT_EQ(table.find("data"), 0u);
  EXPECT_EQ(table.find("extern_fn"), 0u);
}

TEST(Symbols, SizelessSymbolsUseNearestBelow) {
  Tables t;
  t.add("asm_entry", 0x1000, 0);
  t.add("asm_other", 0x1100, 0);
  t.add("sized", 0x1200, 0x10);
  auto table = t.table();
  EXPECT_EQ(name(table.lookup(0x10ff)), "asm_entry");
  auto s = table.lookup(0x1150);
  EXPECT_EQ(name(s), "asm_other");
  EXPECT_EQ(s.offset, 0x50u);
  // A sized match beats a nearer size-0 label.
  EXPECT_EQ(name(table.lookup(0x1204)), "sized");
}

TEST(Symbols, FindByName) {
  Tables t;
  t.add("kernel_main", 0x4000, 0x80);
  t.add("kernel_main_helper", 0x5000, 0x80);
  auto table = t.table();
  EXPECT_EQ(table.find("kernel_main"), 0x4000u);
  EXPECT_EQ(table.find("kernel_main_helper"), 0x5000u);
  EXPECT_EQ(table.find("kernel"), 0u);
  EXPECT_EQ(table.find("missing"), 0u);
}

TEST(Symbols, BadNameOffsetsAreRejected) {
  Tables t;
  t.add("ok", 0x1000, 0x10);
  t.symbols.push_back(ElfSymbol{0xffff, kFunc, 0, 1, 0x2000, 0x10});  // name beyond strtab
  auto table = t.table();
  EXPECT_FALSE(table.lookup(0x2004).found());
  // A string table whose last name is not NUL-terminated.
  Tables u;
  u.add("cut", 0x1000, 0x10);
  u.strings.pop_back();
  EXPECT_FALSE(u.table().lookup(0x1004).found());
}

TEST(Symbols, PartialTrailingSymbolIgnored) {
  Tables t;
  t.add("a", 0x1000, 0x10);
  t.add("b", 0x2000, 0x10);
  ksym::SymbolTable table(t.symbols.data(), t.symbols.size() * sizeof(ElfSymbol) - 1,
                          t.strings.data(), t.strings.size());
  EXPECT_EQ(table.size(), 2u);  // null + a; b is cut
  EXPECT_FALSE(table.lookup(0x2004).found());
  EXPECT_TRUE(table.lookup(0x1004).found());
}

TEST(Symbols, EmptyTable) {
  ksym::SymbolTable table;
  EXPECT_TRUE(table.empty());
  EXPECT_FALSE(table.lookup(0x1000).found());
  EXPECT_EQ(table.find("x"), 0u);
  ksym::SymbolTable null_strings(nullptr, 48, nullptr, 10);
  EXPECT_TRUE(null_strings.empty());
}

}  // namespace
