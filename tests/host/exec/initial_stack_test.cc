// The initial process stack, read back the way a C library's start code reads it: argc at rsp,
// the argv and envp arrays, every auxv entry, and the strings and bytes they point at, through
// the user addresses written into the buffer. Also the alignment for every shape of input,
// and each refusal (E2BIG and bad input).
#include "kernel/exec/initial_stack.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

using kexec::StackErrorKind;
using kexec::StackInput;
using kexec::StackLayout;

constexpr std::uint64_t kTop = 0x00007ffffffde000;

// The buffer as the program sees it: user addresses in [top - size, top).
struct UserView {
  const std::vector<std::uint8_t>& buffer;
  std::uint64_t top;

  std::uint64_t low() const { return top - buffer.size(); }
  std::uint64_t word(std::uint64_t at) const {
    EXPECT_GE(at, low());
    EXPECT_LE(at + 8, top);
    std::uint64_t v = 0;
    std::memcpy(&v, buffer.data() + (at - low()), 8);
    return v;
  }
  std::string string(std::uint64_t at) const {
    EXPECT_GE(at, low());
    std::string s;
    for (std::uint64_t p = at; p < top && buffer[p - low()] != 0; ++p) {
      s += static_cast<char>(buffer[p - low()]);
    }
    EXPECT_LT(at + s.size(), top) << "string not terminated inside the stack";
    return s;
  }
};

// What a C library's start code recovers from rsp.
struct Parsed {
  std::uint64_t argc = 0;
  std::vector<std::string> argv, envp;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> auxv;  // in order, AT_NULL excluded
  std::map<std::uint64_t, std::uint64_t> aux;
};

Parsed read_back(const UserView& view, std::uint64_t rsp) {
  Parsed p;
  p.argc = view.word(rsp);
  std::uint64_t at = rsp + 8;
  for (std::uint64_t i = 0; i < p.argc; ++i, at += 8) p.argv.push_back(view.string(view.word(at)));
  EXPECT_EQ(view.word(at), 0u) << "argv not NULL-terminated";
  at += 8;
  for (; view.word(at) != 0; at += 8) p.envp.push_back(view.string(view.word(at)));
  at += 8;
  for (int guard = 0; guard < 64; ++guard, at += 16) {
    const std::uint64_t type = view.word(at), value = view.word(at + 8);
    if (type == kexec::kAtNull) {
      EXPECT_EQ(value, 0u);
      return p;
    }
    EXPECT_EQ(p.aux.count(type), 0u) << "auxv type " << type << " twice";
    p.auxv.emplace_back(type, value);
    p.aux[type] = value;
  }
  ADD_FAILURE() << "auxv without AT_NULL";
  return p;
}

struct Input {
  std::vector<std::string> argv_text, envp_text;
  std::vector<fmt::StringView> argv, envp;
  StackInput in;

  Input(std::vector<std::string> a, std::vector<std::string> e, const char* execfn = "/bin/prog")
      : argv_text(std::move(a)), envp_text(std::move(e)) {
    for (const auto& s : argv_text) argv.emplace_back(s.data(), s.size());
    for (const auto& s : envp_text) envp.emplace_back(s.data(), s.size());
    in.argv = argv.data();
    in.argc = static_cast<std::uint32_t>(argv.size());
    in.envp = envp.data();
    in.envc = static_cast<std::uint32_t>(envp.size());
    in.execfn = fmt::StringView(execfn);
    in.program = {0x400040, 56, 6, 0x401000};
    in.hwcap = 0x178bfbff;
    in.hwcap2 = 0x2;
    in.uid = 1000;
    in.euid = 1001;
    in.gid = 100;
    in.egid = 101;
    for (std::uint8_t i = 0; i < 16; ++i) in.random[i] = static_cast<std::uint8_t>(0xa0 + i);
    in.stack_top = kTop;
  }
};

TEST(InitialStack, ReadsBackAsTheProgramSeesIt) {
  Input input({"prog", "-x", "hello world"}, {"HOME=/", "TERM=vt100"});
  std::vector<std::uint8_t> buffer(64 * 1024, 0xcc);  // stale kernel bytes must not survive
  auto built = kexec::build_initial_stack(input.in, buffer.data(), buffer.size());
  ASSERT_TRUE(built.ok()) << kexec::describe(built.error().kind);
  const StackLayout& l = built.value();
  const UserView view{buffer, kTop};
  EXPECT_EQ(l.rsp % 16, 0u);
  const Parsed p = read_back(view, l.rsp);
  EXPECT_EQ(p.argc, 3u);
  EXPECT_EQ(p.argv, input.argv_text);
  EXPECT_EQ(p.envp, input.envp_text);

  // Every entry, with its value, in Linux's order.
  const std::vector<std::pair<std::uint64_t, std::uint64_t>> expected = {
      {kexec::kAtHwcap, 0x178bfbff}, {kexec::kAtPagesz, 4096},     {kexec::kAtClktck, 100},
      {kexec::kAtPhdr, 0x400040},    {kexec::kAtPhent, 56},        {kexec::kAtPhnum, 6},
      {kexec::kAtBase, 0},           {kexec::kAtFlags, 0},         {kexec::kAtEntry, 0x401000},
      {kexec::kAtUid, 1000},         {kexec::kAtEuid, 1001},       {kexec::kAtGid, 100},
      {kexec::kAtEgid, 101},         {kexec::kAtSecure, 0},        {kexec::kAtRandom, l.random},
      {kexec::kAtHwcap2, 2},         {kexec::kAtExecfn, l.execfn}, {kexec::kAtPlatform, l.platform},
  };
  EXPECT_EQ(p.auxv, expected);
  EXPECT_EQ(l.aux_count, expected.size() + 1);
  for (std::uint64_t i = 0; i < 16; ++i) {
    EXPECT_EQ(buffer[p.aux.at(kexec::kAtRandom) + i - view.low()], 0xa0 + i);
  }
  EXPECT_EQ(view.string(p.aux.at(kexec::kAtPlatform)), "x86_64");
  EXPECT_EQ(view.string(p.aux.at(kexec::kAtExecfn)), "/bin/prog");

  // The layout: strings contiguous (what /proc/PID/cmdline and environ read), under the
  // zero word at the top; the arrays where the layout says.
  EXPECT_EQ(view.word(kTop - 8), 0u);
  EXPECT_EQ(l.arg_end - l.arg_start, std::string("prog\0-x\0hello world\0", 20).size());
  EXPECT_EQ(std::memcmp(buffer.data() + (l.arg_start - view.low()), "prog\0-x\0hello world\0", 20),
            0);
  EXPECT_EQ(l.env_start, l.arg_end);
  EXPECT_EQ(std::memcmp(buffer.data() + (l.env_start - view.low()), "HOME=/\0TERM=vt100\0", 18), 0);
  EXPECT_EQ(l.env_end, l.execfn);
  EXPECT_EQ(l.execfn + sizeof("/bin/prog"), kTop - 8);
  EXPECT_EQ(l.argv, l.rsp + 8);
  EXPECT_EQ(l.envp, l.argv + 4 * 8);
  EXPECT_EQ(l.auxv, l.envp + 3 * 8);
  EXPECT_LE(l.auxv + l.aux_count * 16, l.random);
  // Nothing of the buffer's old contents is left: everything is written or zeroed.
  for (std::size_t i = 0; i < buffer.size(); ++i) ASSERT_NE(buffer[i], 0xcc) << "byte " << i;
}

TEST(InitialStack, AlignedForEveryShape) {
  // Odd and even numbers of pointers and string bytes, with and without AT_MINSIGSTKSZ.
  for (std::uint32_t argc = 0; argc < 6; ++argc) {
    for (std::uint32_t envc = 0; envc < 5; ++envc) {
      for (std::size_t extra = 0; extra < 17; ++extra) {
        for (bool sigstk : {false, true}) {
          std::vector<std::string> a, e;
          for (std::uint32_t i = 0; i < argc; ++i) a.push_back(std::string(i + extra, 'a'));
          for (std::uint32_t i = 0; i < envc; ++i) e.push_back("V=" + std::string(extra, 'v'));
          Input input(a, e);
          if (sigstk) input.in.minsigstksz = 3632;
          std::vector<std::uint8_t> buffer(8192);
          auto built = kexec::build_initial_stack(input.in, buffer.data(), buffer.size());
          ASSERT_TRUE(built.ok());
          const std::uint64_t rsp = built.value().rsp;
          ASSERT_EQ(rsp % 16, 0u) << argc << " " << envc << " " << extra << " " << sigstk;
          const Parsed p = read_back(UserView{buffer, kTop}, rsp);
          ASSERT_EQ(p.argc, argc == 0 ? 1u : argc);
          if (argc > 0) {
            ASSERT_EQ(p.argv, a);
          }
          ASSERT_EQ(p.envp, e);
          ASSERT_EQ(p.aux.count(kexec::kAtMinsigstksz), sigstk ? 1u : 0u);
          if (sigstk) {
            EXPECT_EQ(p.aux.at(kexec::kAtMinsigstksz), 3632u);
            EXPECT_EQ(p.auxv.front().first, kexec::kAtMinsigstksz);
          }
          ASSERT_EQ(built.value().aux_count, sigstk ? 20u : 19u);
        }
      }
    }
  }
}

// The vDSO's address comes first, before AT_MINSIGSTKSZ, as Linux's ARCH_DLINFO puts it; a
// kernel without a vDSO leaves the entry out (the tests above).
TEST(InitialStack, SysinfoEhdrLeadsTheVector) {
  Input input({"prog"}, {});
  input.in.minsigstksz = 3632;
  input.in.sysinfo_ehdr = 0x7ffffffe4000;
  std::vector<std::uint8_t> buffer(8192);
  auto built = kexec::build_initial_stack(input.in, buffer.data(), buffer.size());
  ASSERT_TRUE(built.ok());
  const Parsed p = read_back(UserView{buffer, kTop}, built.value().rsp);
  ASSERT_GE(p.auxv.size(), 2u);
  EXPECT_EQ(p.auxv[0], (std::pair<std::uint64_t, std::uint64_t>{kexec::kAtSysinfoEhdr, 0x7ffffffe4000}));
  EXPECT_EQ(p.auxv[1].first, kexec::kAtMinsigstksz);
  EXPECT_EQ(built.value().aux_count, kexec::kMaxAuxEntries);
  EXPECT_EQ(p.auxv.size() + 1, kexec::kMaxAuxEntries);
}

TEST(InitialStack, EmptyArgvGetsAnEmptyArgv0) {
  Input input({}, {"A=1"});
  std::vector<std::uint8_t> buffer(4096);
  auto built = kexec::build_initial_stack(input.in, buffer.data(), buffer.size());
  ASSERT_TRUE(built.ok());
  const Parsed p = read_back(UserView{buffer, kTop}, built.value().rsp);
  EXPECT_EQ(p.argc, 1u);
  EXPECT_EQ(p.argv, std::vector<std::string>{""});
  EXPECT_EQ(p.envp, std::vector<std::string>{"A=1"});
  EXPECT_EQ(built.value().argc, 1u);
}

TEST(InitialStack, ProgramValuesOfABiasedImage) {
  kexec::ElfImage image;
  image.phdr_vaddr = 0x40;
  image.phent = 56;
  image.phnum = 9;
  image.entry = 0x106e;
  const kexec::ProgramValues v = kexec::program_values(image, 0x555555554000);
  EXPECT_EQ(v.phdr, 0x555555554040u);
  EXPECT_EQ(v.entry, 0x55555555506eu);
  EXPECT_EQ(v.phent, 56u);
  EXPECT_EQ(v.phnum, 9u);
}

TEST(InitialStack, BufferExactlyLargeEnough) {
  Input input({"prog", "x"}, {"E=1"});
  std::vector<std::uint8_t> big(4096);
  auto first = kexec::build_initial_stack(input.in, big.data(), big.size());
  ASSERT_TRUE(first.ok());
  const std::uint64_t needed = kTop - first.value().rsp;
  std::vector<std::uint8_t> exact(needed);
  auto fits = kexec::build_initial_stack(input.in, exact.data(), exact.size());
  ASSERT_TRUE(fits.ok());
  EXPECT_EQ(fits.value().rsp, first.value().rsp);
  EXPECT_EQ(read_back(UserView{exact, kTop}, fits.value().rsp).argv,
            (std::vector<std::string>{"prog", "x"}));
  std::vector<std::uint8_t> small(needed - 1);
  auto refused = kexec::build_initial_stack(input.in, small.data(), small.size());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, StackErrorKind::kDoesNotFit);
  EXPECT_EQ(refused.error().value, needed);
}

TEST(InitialStack, ArgumentsTooLongIsE2big) {
  // 17 strings of 8000 bytes: 136 017 bytes with pointers, over 128 KiB.
  std::vector<std::string> a(17, std::string(8000, 'x'));
  Input input(a, {});
  std::vector<std::uint8_t> buffer(512 * 1024);
  auto built = kexec::build_initial_stack(input.in, buffer.data(), buffer.size());
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.error().kind, StackErrorKind::kArgumentsTooLong);
  EXPECT_EQ(built.error().value, 17u * 8001 + 17 * 8 + sizeof("/bin/prog"));
  // Under the limit by a little: accepted.
  std::vector<std::string> fewer(15, std::string(8000, 'x'));
  Input ok(fewer, {});
  EXPECT_TRUE(kexec::build_initial_stack(ok.in, buffer.data(), buffer.size()).ok());
  // One string of the limit on its own.
  Input one({std::string(kexec::kMaxArgBytes, 'y')}, {});
  auto single = kexec::build_initial_stack(one.in, buffer.data(), buffer.size());
  ASSERT_FALSE(single.ok());
  EXPECT_EQ(single.error().kind, StackErrorKind::kArgumentsTooLong);
  // Environment counts too.
  Input env({"prog"}, std::vector<std::string>(17, std::string(8000, 'e')));
  auto by_env = kexec::build_initial_stack(env.in, buffer.data(), buffer.size());
  ASSERT_FALSE(by_env.ok());
  EXPECT_EQ(by_env.error().kind, StackErrorKind::kArgumentsTooLong);
}

TEST(InitialStack, TooManyStringsIsE2big) {
  Input input(std::vector<std::string>(kexec::kMaxArgStrings, ""), {"X=1"});
  std::vector<std::uint8_t> buffer(512 * 1024);
  auto built = kexec::build_initial_stack(input.in, buffer.data(), buffer.size());
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.error().kind, StackErrorKind::kTooManyStrings);
  EXPECT_EQ(built.error().value, kexec::kMaxArgStrings + 1u);
  Input exactly(std::vector<std::string>(kexec::kMaxArgStrings, ""), {});
  auto ok = kexec::build_initial_stack(exactly.in, buffer.data(), buffer.size());
  ASSERT_TRUE(ok.ok()) << kexec::describe(ok.error().kind);
  EXPECT_EQ(read_back(UserView{buffer, kTop}, ok.value().rsp).argc, kexec::kMaxArgStrings);
}

TEST(InitialStack, BadStringsRefused) {
  const std::string with_nul("a\0b", 3);
  Input input({"prog", "ok"}, {"E=1", with_nul});
  std::vector<std::uint8_t> buffer(4096);
  auto built = kexec::build_initial_stack(input.in, buffer.data(), buffer.size());
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.error().kind, StackErrorKind::kNulInString);
  EXPECT_EQ(built.error().value, 3u);  // argv[0], argv[1], envp[0], envp[1]
  Input null_ptr({"prog"}, {});
  null_ptr.argv[0] = fmt::StringView(nullptr, 4);
  auto refused = kexec::build_initial_stack(null_ptr.in, buffer.data(), buffer.size());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, StackErrorKind::kNulInString);
  EXPECT_EQ(refused.error().value, 0u);
  Input bad_execfn({"prog"}, {});
  bad_execfn.in.execfn = fmt::StringView(with_nul.data(), with_nul.size());
  auto execfn = kexec::build_initial_stack(bad_execfn.in, buffer.data(), buffer.size());
  ASSERT_FALSE(execfn.ok());
  EXPECT_EQ(execfn.error().kind, StackErrorKind::kNulInString);
  EXPECT_EQ(execfn.error().value, 1u);
}

TEST(InitialStack, BadStackTopRefused) {
  std::vector<std::uint8_t> buffer(4096);
  for (std::uint64_t top : {kTop + 8, kexec::kUserTop + 16, std::uint64_t{0x800}}) {
    Input input({"prog"}, {});
    input.in.stack_top = top;
    auto built = kexec::build_initial_stack(input.in, buffer.data(), buffer.size());
    ASSERT_FALSE(built.ok()) << top;
    EXPECT_EQ(built.error().kind, StackErrorKind::kBadStackTop);
    EXPECT_EQ(built.error().value, top);
  }
  Input at_limit({"prog"}, {});
  at_limit.in.stack_top = kexec::kUserTop;
  EXPECT_TRUE(kexec::build_initial_stack(at_limit.in, buffer.data(), buffer.size()).ok());
}

TEST(InitialStack, DescribeNamesEveryKind) {
  for (int k = 0; k <= static_cast<int>(StackErrorKind::kBadStackTop); ++k) {
    EXPECT_STRNE(kexec::describe(static_cast<StackErrorKind>(k)), "?") << k;
  }
}

}  // namespace
